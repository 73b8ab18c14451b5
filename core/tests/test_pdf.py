"""Documents are rendered with a fetcher that reads data: URIs and the
project's static files only: typed-in HTML cannot make the server read a local
file or call a URL."""

from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from io import BytesIO
from typing import Any

import pytest
from pypdf import PdfReader

from core import pdf


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


@pytest.fixture
def web_server() -> Any:
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            body = b'body::before { content: "LEAKED-HTTP" }'
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


def test_only_data_uris_and_static_files_are_fetched(settings, tmp_path, web_server):
    base_url, hits = web_server
    static = tmp_path / "static"
    static.mkdir()
    (static / "print.css").write_text('body::after { content: "STATIC-OK" }')
    secret = tmp_path / "secret.css"
    secret.write_text('body::after { content: "LEAKED-FILE" }')
    settings.STATICFILES_DIRS = [static]
    settings.STATIC_ROOT = tmp_path / "collected"
    data_css = "data:text/css;base64," + base64.b64encode(b'h1::after { content: " DATA-OK" }').decode()
    html = f"""<html><head>
        <link rel="stylesheet" href="{data_css}">
        <link rel="stylesheet" href="{(static / "print.css").as_uri()}">
        <link rel="stylesheet" href="{secret.as_uri()}">
        <link rel="stylesheet" href="{base_url}/evil.css">
        <link rel="stylesheet" href="file://{static}/../secret.css">
        </head><body><h1>Report</h1><img src="file:///etc/passwd"><img src="{base_url}/pixel.png"></body></html>"""

    text = pdf_text(pdf._weasyprint(html))

    assert "Report" in text and "DATA-OK" in text and "STATIC-OK" in text
    assert "LEAKED-FILE" not in text and "LEAKED-HTTP" not in text
    assert hits == []  # the web server was never asked


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "http://127.0.0.1/x.css", "https://example.com/a.png", "ftp://h/x", "file://host/x"]
)
def test_check_url_refuses_everything_else(url):
    with pytest.raises(pdf.RefusedURL):
        pdf.check_url(url)
