"""How generated dbt code writes names, patterns and schema text (quoting, regex, escaping)."""

from __future__ import annotations

import re

import jinja2
import pytest

from reflekt_core.dbt.escape import jinja_literal, jinja_text
from reflekt_core.dbt.quoting import ENGINES, keyword_data, needs_quoting
from reflekt_core.dbt.regex import Untranslatable, translate

#: From the issue: each of these broke a build or read the wrong data somewhere.
MUST_QUOTE = ["check", "all", "having", "window", "both", "in", "is", "on", "primary", "union", "not", "and", "or",
              "as", "desc", "distinct", "qualify", "by", "array", "user", "current_time", "current_date",
              "localtime", "localtimestamp", "session_user", "current_user", "current_role", "current_schema",
              "group", "from", "end", "select", "timestamp", "2fa_enabled", "9lives", "my col", "iOSVersion",
              "a-b", "é", ""]
PLAIN = ["name", "value", "type", "order_id", "user_id", "ios_version", "url_path", "_group", "_2fa_enabled",
         "data", "action", "status"]


@pytest.mark.parametrize("name", MUST_QUOTE)
def test_names_that_some_engine_misreads_are_quoted(name):
    assert needs_quoting(name)


@pytest.mark.parametrize("name", PLAIN)
def test_ordinary_names_stay_bare(name):
    assert not needs_quoting(name)


def test_keyword_lists_are_data_with_their_source():
    data = keyword_data()
    for engine in (*ENGINES, "functions"):
        assert data[engine]["source"] and data[engine]["quote"], engine
        assert all(w == w.lower() for w in data[engine]["quote"])
    assert "docs.snowflake.com" in data["snowflake"]["source"]
    assert "docs.aws.amazon.com/redshift" in data["redshift"]["source"]
    assert "cloud.google.com/bigquery" in data["bigquery"]["source"]
    assert needs_quoting("qualify", "snowflake") and not needs_quoting("qualify", "postgres")


def test_duckdb_keywords_match_the_engine():
    import duckdb

    with duckdb.connect() as con:
        rows = con.execute("select keyword_name, keyword_category from duckdb_keywords()").fetchall()
    data = keyword_data()["duckdb"]
    assert sorted(k for k, c in rows if c != "unreserved") == data["quote"]
    assert sorted(k for k, c in rows if c == "unreserved") == data["unreserved"]


def test_duckdb_reads_every_unreserved_keyword_as_a_column():
    """The policy's premise: an unreserved keyword is a safe column name (so it stays bare)."""
    import duckdb

    with duckdb.connect() as con:
        for word in keyword_data()["duckdb"]["unreserved"]:
            if needs_quoting(word):
                continue
            value = con.execute(f'select {word} from (select 42 as "{word}") t where {word} = 42').fetchone()
            assert value == (42,), word


PATTERNS = [
    (r"[a-zA-Z0-9-_.]", "[a-zA-Z0-9._-]"),
    (r"^\d{3}-\w+\.(?:com|org)$", r"^[0-9]{3}-[A-Za-z0-9_]+\.(com|org)$"),
    (r"^[^\s@]+@[^\s@]+$", "^[^[:space:]@]+@[^[:space:]@]+$"),
    (r"\D+x*?", "[^0-9]+x*"),
    (r"[\]\\-]", r"[]\\-]"),
    (r"^\$[0-9]+(\.[0-9]{2})?$", r"^\$[0-9]+(\.[0-9]{2})?$"),
    ("a.b", "a[^\n\r\u2028\u2029]b"),
    (r"\u00e9t\u00e9", "été"),
]


@pytest.mark.parametrize("pattern, expected", PATTERNS)
def test_patterns_translate_to_the_shared_dialect(pattern, expected):
    assert translate(pattern) == expected


@pytest.mark.parametrize("pattern", PATTERNS)
def test_translation_matches_what_the_ecma_pattern_matches(pattern):
    """Python's re reads the same syntax as ECMA-262 here: same answers on sample strings."""
    source = pattern[0]
    samples = ["abc-_.", "123-foo.com", "a@b", "xyz", "]", "$12.50", "a\nb", "axb", "été", ""]
    ours = re.compile(translate(source).replace("[:space:]", r"\s"))
    theirs = re.compile(source)
    for sample in samples:
        assert bool(ours.search(sample)) == bool(theirs.search(sample)), (source, sample)


@pytest.mark.parametrize("pattern, construct", [
    ("a(?=b)", "lookahead"), ("(?<!a)b", "lookbehind"), (r"(a)\1", "backreference"), (r"\bword", "boundary"),
    ("(?i)abc", "flags"), ("x{300}", "repeat"), (r"[a\D]", "set"), ("[^]", "pattern"), (r"\cJ", "pattern"),
])
def test_untranslatable_patterns_say_why(pattern, construct):
    with pytest.raises(Untranslatable, match=construct):
        translate(pattern)


HOSTILE = ["{{ env_var('X') }}", "{% if true %}x{% endif %}", "{# c", "a}}b{{", "{{{", "env_var('X')",
           "  ref('m')  ", "line\r\nnext", "trailing\n", "plain", "{0} {x}", "é 🎉 \u2028"]


@pytest.mark.parametrize("text", HOSTILE)
def test_jinja_text_renders_back_to_itself(text):
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    assert env.from_string(jinja_text(text)).render() == text
    assert env.from_string("{{ " + jinja_literal(text) + " }}").render() == text
    assert re.fullmatch(r'"[ -~]*"', jinja_literal(text))


#: Patterns as real schemas write them, and strings to try them on: every engine must agree with
#: what the ECMA pattern matches (Python's re reads these the same way; re.ASCII gives ECMA's \d, \w, \s).
REAL_PATTERNS = [r"[a-zA-Z0-9-_.]", r"[:a]", r"[\[:]", r"^[a-z0-9]+(?:-[a-z0-9]+)*$", r"^\+?[1-9]\d{1,14}$",
                 r"^#(?:[0-9a-fA-F]{3}){1,2}$", r"^[^@\s]+@[^@\s]+\.[^@\s]+$", r"[\w.-]+", r"^\S+$",
                 r"[\u00C0-\u017F]+", r"[$^]", r"[*+?(){}|]", r"a.*?b", r"^\x20\/\\", r"[\]a]", r"[=.]x",
                 r"^[A-Z]{2}\.\d+$", r"^\d{5}(-\d{4})?$", r"^(\([0-9]{3}\))?[0-9]{3}-[0-9]{4}$", r"\D+", r"a|b|cd"]
SAMPLES = ["a", ":", "[", "abc-def", "+14155552671", "#fff", "#ab12cd", "a@b.co", "x y", "été", "$", "^", "*",
           "a\nb", "axxb", " /\\", "]", "=x", ".x", "AB.12", "12345-6789", "(415)555-1234", "555-1234", "cd",
           "", "-", "_", "é"]


def test_duckdb_re2_agrees_with_the_ecma_pattern():
    import duckdb

    with duckdb.connect() as con:
        for pattern in REAL_PATTERNS:
            regex = translate(pattern)
            for sample in SAMPLES:
                got = con.execute("select regexp_matches(?, ?)", [sample, regex]).fetchone()[0]
                assert got == bool(re.search(pattern, sample, re.ASCII)), (pattern, regex, sample)
