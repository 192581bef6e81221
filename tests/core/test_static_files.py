"""Static files and the API's browsable docs as a client meets them: gunicorn under
production settings serves the pages' CSS and script itself, compressed, under hashed
names with far-future caching, and /api/docs/ loads nothing from another host."""

import re

import httpx

FAR_FUTURE = "max-age=315360000, public, immutable"


def _page(base: str, path: str) -> str:
    response = httpx.get(f"{base}{path}", timeout=10)
    assert response.status_code == 200
    return response.text


def test_the_pages_css_and_script_are_served_hashed_compressed_and_cached_for_good(production_server):
    products = _page(production_server, "/products/")
    stylesheet = re.search(r'<link rel="stylesheet" href="(/static/css/shop\.[0-9a-f]{12}\.css)">', products).group(1)
    script = re.search(r'<script src="(/static/js/cart\.[0-9a-f]{12}\.js)" defer>', _page(production_server, "/cart/"))

    for path, kind in ((stylesheet, "text/css"), (script.group(1), "text/javascript")):
        plain = httpx.get(f"{production_server}{path}", timeout=10)
        gzipped = httpx.get(f"{production_server}{path}", headers={"Accept-Encoding": "gzip"}, timeout=10)
        assert plain.status_code == 200 and plain.headers["content-type"].startswith(kind)
        assert plain.headers["cache-control"] == FAR_FUTURE
        assert gzipped.headers["content-encoding"] == "gzip"
        assert gzipped.content == plain.content  # httpx decodes it: the same file
    assert ".button" in httpx.get(f"{production_server}{stylesheet}", timeout=10).text


def test_an_unknown_static_file_is_a_404(production_server):
    assert httpx.get(f"{production_server}/static/css/no-such.css", timeout=10).status_code == 404


def test_the_api_docs_load_nothing_from_another_host(production_server):
    page = _page(production_server, "/api/docs/")

    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources, page
    assert all(source.startswith("/") and not source.startswith("//") for source in sources), sources
    assert "cdn" not in page.lower() and "<script>" not in page  # no inline script either
    for source in sources:
        assert httpx.get(f"{production_server}{source}", timeout=10).status_code == 200, source
