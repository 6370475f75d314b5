from __future__ import annotations

import itertools

import pytest

from tests.world.corpus import corpora, corpus_id

_buckets = itertools.count()


def pytest_generate_tests(metafunc):
    if "corpus" in metafunc.fixturenames:
        metafunc.parametrize("corpus", corpora(), ids=corpus_id, scope="module")


@pytest.fixture(scope="module")
def s3():
    """moto's S3 server on 127.0.0.1 and a boto3 client to it; a fresh bucket per use."""
    import boto3

    from tests.integration.iglu_fakes import moto_s3

    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_DEFAULT_REGION": "us-east-1"}.items():
            patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        with moto_s3() as url:
            client = boto3.client("s3", endpoint_url=url, region_name="us-east-1")

            def bucket() -> str:
                name = f"world-{next(_buckets)}"
                client.create_bucket(Bucket=name)
                return name

            yield url, client, bucket
