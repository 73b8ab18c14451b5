"""PAdES signatures on the PDFs the portal issues, read back with pyHanko."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from core import signing
from core.pdf import html_to_pdf

HTML = "<html><head><title>Exhibit</title></head><body><p>Availability 99.95 % per month</p></body></html>"


@pytest.fixture(scope="module")
def plain_pdf() -> bytes:
    return html_to_pdf(HTML)


def flip_one_byte(content: bytes) -> bytes:
    """One byte changed inside the first content stream, which the signature covers."""
    at = content.index(b"stream") + 20
    return content[:at] + bytes([content[at] ^ 0x01]) + content[at + 1 :]


def test_it_signs_the_whole_file_and_keeps_the_text(plain_pdf):
    signed = signing.sign_pdf(plain_pdf)
    verdict = signing.verify_pdf(signed)
    assert verdict.valid and not verdict.rotated
    assert verdict.fingerprint == signing.fingerprint(signing.current_certificate())
    assert verdict.signed_at is not None
    assert "Availability 99.95 %" in PdfReader(io.BytesIO(signed)).pages[0].extract_text()


def test_a_one_byte_change_fails(plain_pdf):
    verdict = signing.verify_pdf(flip_one_byte(signing.sign_pdf(plain_pdf)))
    assert not verdict.valid
    assert "changed" in verdict.reason


def test_unsigned_foreign_and_garbage_files_fail(plain_pdf, tmp_path, settings):
    assert signing.verify_pdf(plain_pdf).reason == "the file carries no signature"
    assert signing.verify_pdf(b"hello").reason == "the file is not a PDF"
    assert not signing.verify_pdf(b"%PDF-1.7 garbage").valid
    signing.make_key(tmp_path / "k.pem", tmp_path / "c.pem")
    settings.COVENANT_SIGNING_KEY_FILE, ours = str(tmp_path / "k.pem"), settings.COVENANT_SIGNING_CERT_FILE
    settings.COVENANT_SIGNING_CERT_FILE = str(tmp_path / "c.pem")
    foreign = signing.sign_pdf(plain_pdf)  # signed by a key the portal does not hold
    settings.COVENANT_SIGNING_KEY_FILE, settings.COVENANT_SIGNING_CERT_FILE = str(tmp_path / "x"), ours
    assert signing.verify_pdf(foreign).reason == "the signature was not made by this portal"


def test_a_rotated_key_still_verifies_its_documents(plain_pdf, tmp_path, settings):
    old_signed = signing.sign_pdf(plain_pdf)
    old_cert = settings.COVENANT_SIGNING_CERT_FILE
    signing.make_key(tmp_path / "new-key.pem", tmp_path / "new-cert.pem")
    settings.COVENANT_SIGNING_KEY_FILE = str(tmp_path / "new-key.pem")
    settings.COVENANT_SIGNING_CERT_FILE = str(tmp_path / "new-cert.pem")
    assert not signing.verify_pdf(old_signed).valid  # rotated without keeping the old certificate
    settings.COVENANT_SIGNING_OLD_CERT_FILES = [old_cert]
    verdict = signing.verify_pdf(old_signed)
    assert verdict.valid and verdict.rotated
    assert signing.verify_pdf(signing.sign_pdf(plain_pdf)).rotated is False


def test_nothing_is_signed_without_a_key(plain_pdf, settings):
    settings.COVENANT_SIGNING_KEY_FILE = ""
    with pytest.raises(signing.SigningNotConfigured, match="COVENANT_SIGNING_KEY_FILE"):
        signing.sign_pdf(plain_pdf)
    settings.COVENANT_SIGNING_KEY_FILE = "/nonexistent/key.pem"
    with pytest.raises(signing.SigningNotConfigured, match="make_signing_key"):
        signing.sign_bytes(b"x")


def test_detached_signatures_name_the_certificate(tmp_path, settings):
    signature, cert = signing.sign_bytes(b"checkpoint #4")
    assert signing.verify_bytes(b"checkpoint #4", signature) == cert
    assert signing.verify_bytes(b"checkpoint #5", signature) is None
    assert signing.verify_bytes(b"checkpoint #4", "not base64!") is None


def test_the_command_creates_a_key_once(tmp_path, settings, capsys):
    from django.core.management import call_command

    settings.COVENANT_SIGNING_KEY_FILE = str(tmp_path / "s" / "signing-key.pem")
    settings.COVENANT_SIGNING_CERT_FILE = str(tmp_path / "s" / "signing-cert.pem")
    call_command("make_signing_key")
    first = (tmp_path / "s" / "signing-cert.pem").read_bytes()
    assert (tmp_path / "s" / "signing-key.pem").stat().st_mode & 0o077 == 0
    call_command("make_signing_key")
    assert (tmp_path / "s" / "signing-cert.pem").read_bytes() == first
    assert "exists" in capsys.readouterr().out
