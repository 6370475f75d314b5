"""Local servers that follow the Segment Public API and Avo API contracts.

The request contracts are JSON Schemas transcribed from the published models, each rule with
its source (``registry_contracts.py``); the servers (``segment_fake.py``, ``avo_fake.py``)
validate every request against them and hold what real plans hold. ``fake_http.py`` is the
threaded server with fault injection.
"""

from tests.integration.avo_fake import FakeAvo
from tests.integration.fake_http import Fault, FakeServer, Reply
from tests.integration.segment_fake import FakeSegment, realistic_rules

__all__ = ["FakeAvo", "FakeSegment", "FakeServer", "Fault", "Reply", "realistic_rules"]
