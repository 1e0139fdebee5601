"""A NUL byte in an address never gives a server error (PostgreSQL refuses it in text)."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse


def code_routes(patterns=None, namespace=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace or ""]))
            yield from code_routes(pattern.url_patterns, inner)
        elif (
            isinstance(pattern, URLPattern)
            and pattern.name
            and "code" in pattern.pattern.converters
        ):
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name, pattern


@pytest.mark.parametrize("login", ["forvaltningschef", "medarbetare"])
def test_a_nul_byte_in_a_code_or_a_filter_is_a_404_or_a_message(cast, login):
    client = cast.client(login)
    client.raise_request_exception = False
    failures = []
    for name, pattern in code_routes():
        kwargs = {
            key: "1" if converter.regex == "[0-9]+" else "x"
            for key, converter in pattern.pattern.converters.items()
        }
        url = reverse(name, kwargs=kwargs).replace("/x/", "/x%00/", 1)
        status = client.get(url).status_code
        if status >= 500:
            failures.append(f"{url}: {status}")
    for url in ["/uppfoljning/?unit=DEMO%00", "/arsplan/?enhet=DEMO%00", "/arenden/?unit=A%00"]:
        status = client.get(url).status_code
        if status >= 500:
            failures.append(f"{url}: {status}")
    assert not failures
