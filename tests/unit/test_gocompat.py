"""gocompat: what Go and Kubernetes accept, for text that reaches Go code or the API server
(strconv.ParseBool, ParseInt, Quote, time.ParseDuration, google/shlex, encoding/json, resource
quantities, DNS labels, addresses): parsing rules as examples, and round trips as properties."""

from __future__ import annotations

import ast
import json
import math
import re
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consul_inject import gocompat

TRUE_SPELLINGS = ("1", "t", "T", "TRUE", "true", "True")
FALSE_SPELLINGS = ("0", "f", "F", "FALSE", "false", "False")


# --- strconv.ParseBool -----------------------------------------------------------------------


@pytest.mark.parametrize("text", TRUE_SPELLINGS)
def test_parse_go_bool_true_spellings(text: str) -> None:
    assert gocompat.parse_bool(text) is True


@pytest.mark.parametrize("text", FALSE_SPELLINGS)
def test_parse_go_bool_false_spellings(text: str) -> None:
    assert gocompat.parse_bool(text) is False


def test_go_bools_table_is_exactly_the_twelve_spellings() -> None:
    assert set(gocompat.BOOLS) == set(TRUE_SPELLINGS + FALSE_SPELLINGS)


@pytest.mark.parametrize(
    "text", ["yes", "no", "", " true", "true ", "tRUE", "on", "y", "2", "TRue", "01"]
)
def test_parse_go_bool_rejects_other_text_with_go_message(text: str) -> None:
    with pytest.raises(ValueError, match="invalid syntax") as info:
        gocompat.parse_bool(text)
    assert str(info.value) == f'strconv.ParseBool: parsing "{text}": invalid syntax'


# --- strconv.ParseInt(s, 0, bits) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0x1F", 31),
        ("0X1f", 31),
        ("0o17", 15),
        ("0O17", 15),
        ("017", 15),
        ("0b101", 5),
        ("1_000", 1000),
        ("0x_1F", 31),
        ("8080", 8080),
        ("0", 0),
        ("-12", -12),
        ("+12", 12),
        ("-0x10", -16),
        ("2147483647", 2**31 - 1),
        ("-2147483648", -(2**31)),
    ],
)
def test_parse_go_int_base_zero(text: str, value: int) -> None:
    assert gocompat.parse_int(text, 32) == value


@pytest.mark.parametrize(
    "text", ["08080", "09", "", "_1", "1_", "1__0", "0x", "0b102", "0o8", "abc", "1.5", " 1", "1 "]
)
def test_parse_go_int_invalid_syntax(text: str) -> None:
    with pytest.raises(ValueError, match="invalid syntax"):
        gocompat.parse_int(text, 32)


@pytest.mark.parametrize("text", ["2147483648", "-2147483649", "0x80000000", "99999999999"])
def test_parse_go_int_out_of_int32_range(text: str) -> None:
    with pytest.raises(ValueError, match="out of range"):
        gocompat.parse_int(text, 32)


def test_parse_go_int_wider_bit_size() -> None:
    assert gocompat.parse_int("2147483648", 64) == 2**31


INT32 = st.integers(-(2**31), 2**31 - 1)


@given(INT32)
def test_parse_int_reads_every_base_python_writes(value: int) -> None:
    for text in (str(value), hex(value), oct(value), bin(value)):
        assert gocompat.parse_int(text, 32) == value, text


@given(st.one_of(st.integers(max_value=-(2**31) - 1), st.integers(min_value=2**31)))
def test_parse_int_refuses_every_value_outside_the_bit_size(value: int) -> None:
    with pytest.raises(ValueError, match="value out of range"):
        gocompat.parse_int(str(value), 32)


def test_parse_int_unsigned_too_widens_only_the_top() -> None:
    assert gocompat.parse_int("4294967295", 32, unsigned_too=True) == 2**32 - 1
    with pytest.raises(ValueError, match="out of range"):
        gocompat.parse_int("4294967296", 32, unsigned_too=True)
    with pytest.raises(ValueError, match="out of range"):
        gocompat.parse_int("-2147483649", 32, unsigned_too=True)


# --- strconv.Quote ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("foo bar", '"foo bar"'),
        ("/tmp/consul/foo bar", '"/tmp/consul/foo bar"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("line\nbreak", '"line\\nbreak"'),
        ("tab\there", '"tab\\there"'),
        ("cr\rhere", '"cr\\rhere"'),
        ("\x01", '"\\x01"'),
        ("\x7f", '"\\x7f"'),
        ("\x00", '"\\x00"'),
        ("\u0085", '"\\u0085"'),
        ("\u200b", '"\\u200b"'),
        ("\u00a0", '"\\u00a0"'),
        ("caf\u00e9 \u65e5\u672c", '"caf\u00e9 \u65e5\u672c"'),
        ("\U0001f600", '"\U0001f600"'),
        ("\U000e0001", '"\\U000e0001"'),
        ("", '""'),
    ],
)
def test_go_quote(text: str, quoted: str) -> None:
    assert gocompat.quote(text) == quoted


@pytest.mark.parametrize(
    ("text", "quoted"),
    [("\x07", '"\\a"'), ("\x08", '"\\b"'), ("\x0c", '"\\f"'), ("\x0b", '"\\v"')],
)
def test_go_quote_short_escapes_like_go(text: str, quoted: str) -> None:
    assert gocompat.quote(text) == quoted


@given(st.text())
def test_quote_reads_back_as_the_same_text(text: str) -> None:
    """Go's escapes (\\a \\v \\xHH \\uHHHH \\UHHHHHHHH ...) are Python's too: any quoted text is a
    string literal that means the text, on one line."""
    quoted = gocompat.quote(text)
    assert quoted[0] == quoted[-1] == '"'
    assert not set(quoted) & {"\n", "\r"}
    assert ast.literal_eval(quoted) == text


# --- time.ParseDuration and Duration.String ---------------------------------------------------


@pytest.mark.parametrize(("text", "ns"), [
    ("0", 0), ("-0", 0), ("1ns", 1), ("1us", 1_000), ("1\u00b5s", 1_000), ("1\u03bcs", 1_000),
    ("300ms", 300_000_000), ("1s", 10**9), (".5s", 5 * 10**8), ("1.5h", 5400 * 10**9),
    ("1m", 60 * 10**9), ("1h2m3s", 3723 * 10**9), ("-1.5s", -15 * 10**8), ("+5s", 5 * 10**9),
    ("2h45m", 9900 * 10**9), ("1m30.5s", 905 * 10**8),
])
def test_parse_duration(text: str, ns: int) -> None:
    assert gocompat.parse_duration(text) == ns


@pytest.mark.parametrize("text", ["", "1", "s", "1x", "1 s", "--1s", "1s ", " 1s", "1d", "h1",
                                  "1.2.3s", "+", "1e3s"])
def test_parse_duration_refuses_with_go_message(text: str) -> None:
    with pytest.raises(ValueError, match="time: invalid duration") as info:
        gocompat.parse_duration(text)
    assert str(info.value) == f'time: invalid duration "{text}"'


@pytest.mark.parametrize(("ns", "text"), [
    (0, "0s"), (1, "1ns"), (1_500, "1.5\u00b5s"), (5 * 10**6, "5ms"), (15 * 10**5, "1.5ms"),
    (10**9, "1s"), (15 * 10**8, "1.5s"), (60 * 10**9, "1m0s"), (90 * 60 * 10**9, "1h30m0s"),
    (3723 * 10**9, "1h2m3s"), (-2 * 10**9, "-2s"), (-5 * 10**6, "-5ms"),
])
def test_format_duration_like_go(ns: int, text: str) -> None:
    assert gocompat.format_duration(ns) == text


@given(st.integers(-(10**9), 10**9).map(lambda ms: ms * 10**6))
def test_format_then_parse_duration_is_the_identity(ns: int) -> None:
    """For the whole-millisecond values a timeout uses, up to 11 days (parse_duration sums
    floats: beyond 2**53 ns, about 104 days, it is no longer exact as Go's is)."""
    assert gocompat.parse_duration(gocompat.format_duration(ns)) == ns


# --- google/shlex -----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "words"), [
    ("a b", ["a", "b"]),
    ("  a\t\tb\n", ["a", "b"]),
    ('"a b"', ["a b"]),
    ("a 'b c'd", ["a", "b cd"]),
    ("a#b", ["a#b"]),  # `#` inside a word is a character
    ("#comment\nx", ["x"]),
    ("x #comment", ["x"]),
    ('"a\\"b"', ['a"b']),
    ('"a\\zb"', ["azb"]),  # inside double quotes a backslash escapes anything and is dropped
    ("a\\ b", ["a b"]),
    ("'a\\b'", ["a\\b"]),  # nothing is special inside single quotes
    ('""', [""]),
    ("", []),
])
def test_shlex_split(text: str, words: list[str]) -> None:
    assert gocompat.shlex_split(text) == words


@pytest.mark.parametrize(("text", "message"), [
    ("a\\", "EOF found after escape character"),
    ('"a\\', "EOF found after escape character"),
    ('"a', "EOF found when expecting closing quote"),
    ("'a", "EOF found when expecting closing quote"),
])
def test_shlex_split_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        gocompat.shlex_split(text)


PLAIN_WORDS = st.lists(st.from_regex(r"\A[A-Za-z0-9._/=:,-]+\Z"), max_size=6)


@given(PLAIN_WORDS, st.sampled_from([" ", "\t", "  ", "\n"]))
def test_shlex_split_of_plain_words_joined_by_blanks(words: list[str], blank: str) -> None:
    assert gocompat.shlex_split(blank.join(words)) == words


@given(st.lists(st.text(st.characters(exclude_characters="'"), max_size=8), max_size=6))
def test_shlex_split_of_single_quoted_words(words: list[str]) -> None:
    """Anything but a single quote survives single quoting, blanks and `#` included."""
    assert gocompat.shlex_split(" ".join(f"'{w}'" for w in words)) == words


# --- encoding/json ----------------------------------------------------------------------------


def test_json_compact_escapes_html_like_go() -> None:
    assert gocompat.json_compact({"a": "<&>", "b": [1, None, True]}) == (
        '{"a":"\\u003c\\u0026\\u003e","b":[1,null,true]}')
    assert gocompat.json_compact("caf\u00e9 \u2028\u2029") == '"caf\u00e9 \\u2028\\u2029"'
    assert gocompat.json_compact({}) == "{}"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=10,
)


@given(JSON)
def test_json_compact_reads_back_and_has_no_raw_html_or_spacing(data: Any) -> None:
    text = gocompat.json_compact(data)
    assert json.loads(text) == data
    assert not set(text) & {"<", ">", "&", "\u2028", "\u2029"}
    assert text == gocompat.json_compact(json.loads(text))


# --- Kubernetes names, quantities and addresses -----------------------------------------------


@pytest.mark.parametrize("text", ["a", "0", "a-b", "web-1", "a" * 63, "1a"])
def test_is_dns_label_accepts(text: str) -> None:
    assert gocompat.is_dns_label(text)


@pytest.mark.parametrize("text", ["", "-a", "a-", "A", "a_b", "a.b", "a b", "a" * 64, "caf\u00e9",
                                  "a\n"])
def test_is_dns_label_rejects(text: str) -> None:
    assert not gocompat.is_dns_label(text)


def test_is_dns_label_limit() -> None:
    assert gocompat.is_dns_label("a" * 36, limit=36)
    assert not gocompat.is_dns_label("a" * 37, limit=36)


@pytest.mark.parametrize(("text", "safe"), [
    ("web", True), ("db.tier_1", True), ("a-b.c_d", True), ("-a", False), ("a.", False),
    ("a b", False), ('a"b', False), ("a$b", False), ("", False),
])
def test_safe_name(text: str, safe: bool) -> None:
    assert bool(gocompat.SAFE_NAME_RE.match(text)) is safe


@pytest.mark.parametrize(("text", "ok"), [
    ("/metrics", True), ("/", True), ("/a/b-c_d.e~%20", True), ("metrics", False),
    ("/a b", False), ("/a;b", False), ("/a?b", False), ("", False),
])
def test_url_path(text: str, ok: bool) -> None:
    assert bool(gocompat.URL_PATH_RE.match(text)) is ok


@pytest.mark.parametrize(
    "value",
    ["100m", "0.5", ".5", "128Mi", "1Gi", "1Ki", "2Ti", "1Pi", "1Ei", "1k", "1M", "1G", "1T",
     "1P", "1E", "1e3", "1E3", "12e-3", "+1", "-1", "0", "250u", "10n"],
)
def test_is_quantity_accepts(value: str) -> None:
    assert gocompat.is_quantity(value)


@pytest.mark.parametrize(
    "value",
    ["", "abc", "Mi", "1ki", "1K", "1 m", " 1", "1m ", "1EiB", "1.5.5", "1e", "1mm", "1Mi1",
     "0x10", "invalid"],
)
def test_is_quantity_rejects(value: str) -> None:
    assert not gocompat.is_quantity(value)


@pytest.mark.parametrize(("text", "ip", "cidr"), [
    ("10.0.0.1", True, True),
    ("::1", True, True),
    ("fe80::1", True, True),
    ("10.0.0.0/8", False, True),
    ("10.0.0.1/8", False, True),  # host bits set: accepted, as net.ParseCIDR does
    ("::/0", False, True),
    ("fe80::1%eth0", False, False),  # a zone id: Go refuses it, Python would not
    ("fe80::/10%eth0", False, False),
    ("10.0.0", False, False),
    ("10.0.0.0/33", False, False),
    ("256.0.0.1", False, False),
    ("", False, False),
    ("abc", False, False),
])
def test_addresses(text: str, ip: bool, cidr: bool) -> None:
    assert gocompat.is_ip(text) is ip
    assert gocompat.is_ip_or_cidr(text) is cidr


@pytest.mark.parametrize(("given", "canonical"), [
    ("0.5", "500m"), ("1.5Gi", "1536Mi"), ("1024Mi", "1Gi"), ("100m", "100m"), ("1000m", "1"),
    ("0", "0"), ("0Mi", "0"), ("-0.5", "-500m"), ("1e3", "1e3"), ("1.5e3", "1500"),
    ("12e-1", "1200e-3"), ("0.1Ki", "102400m"), ("0.0000000001", "1n"), ("25Mi", "25Mi"),
    ("128974848", "128974848"), ("129e6", "129e6"), ("1.5", "1500m"), (".5", "500m"),
    ("5.", "5"), ("+2G", "2G"),
])
def test_canonical_quantity_is_what_the_api_server_writes_back(given: str,
                                                               canonical: str) -> None:
    assert gocompat.canonical_quantity(given) == canonical


def _amount(text: str) -> Fraction:
    """A quantity's exact amount, with fractions.Fraction (independent of the code under test)."""
    number = re.match(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", text)
    assert number is not None
    suffix = text[number.end():]
    binary = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
    decimal = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15,
               "E": 18}
    if suffix in binary:
        return Fraction(number.group()) * Fraction(1024 ** binary[suffix])
    power = int(suffix[1:]) if suffix[:1] in ("e", "E") else decimal[suffix]
    scale = Fraction(10**power) if power >= 0 else Fraction(1, 10**-power)
    return Fraction(number.group()) * scale


@given(st.sampled_from(["", "-", "+"]), st.integers(0, 10**7), st.text("0123456789", max_size=12),
       st.sampled_from(["", "m", "n", "u", "k", "M", "G", "Ki", "Mi", "Gi", "Ti", "e3", "e-2",
                        "E0", "e-12"]))
def test_canonical_quantity_keeps_the_amount_rounded_up_to_nano_units(
        sign: str, whole: int, fraction: str, suffix: str) -> None:
    text = f"{sign}{whole}" + (f".{fraction}" if fraction else "") + suffix
    if not gocompat.is_quantity(text):
        return
    out = gocompat.canonical_quantity(text)
    exact = _amount(text)
    nanos = Fraction(math.ceil(abs(exact) * 10**9), 10**9)
    assert _amount(out) == (nanos if exact >= 0 else -nanos)
    assert gocompat.canonical_quantity(out) == out  # the canonical form is a fixed point
