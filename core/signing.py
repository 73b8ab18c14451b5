"""The portal's document signature: PAdES signatures on the PDFs it issues,
and detached signatures on small statements (audit checkpoints).

One key signs. Its certificate, and the certificates of keys it replaced,
verify: ``COVENANT_SIGNING_KEY_FILE`` and ``COVENANT_SIGNING_CERT_FILE`` name
the current PEM key and certificate, ``COVENANT_SIGNING_OLD_CERT_FILES`` the
certificates of rotated keys, so a document signed before a rotation still
verifies after it. Nothing is ever issued unsigned: with no key configured,
signing raises ``SigningNotConfigured`` (development and tests create one with
``manage.py make_signing_key``).

A signature is trusted when it is intact, covers the whole file and was made
by exactly one of our certificates (compared by SHA-256 fingerprint); no
certificate chain, revocation or network lookup is involved. Signing takes
milliseconds, but it is still done with no lock held, beside rendering.
"""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from asn1crypto import x509 as asn1_x509  # type: ignore[import-untyped]
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FIELD_NAME = "CovenantSignature"


class SigningNotConfigured(ImproperlyConfigured):
    """No signing key or certificate is configured, or the files are missing."""


@dataclass(frozen=True)
class PdfVerdict:
    """What a PDF's signature says. ``valid`` only when it is ours, intact and covers every byte."""

    valid: bool
    reason: str
    fingerprint: str = ""
    signed_at: datetime | None = None
    rotated: bool = False


# -- keys ------------------------------------------------------------------------------------------------------


def _configured(name: str) -> Path:
    value = getattr(settings, name)
    if not value:
        raise SigningNotConfigured(
            f"No document-signing key: set {name} (COVENANT_SIGNING_KEY_FILE and COVENANT_SIGNING_CERT_FILE "
            "name PEM files); for development run `manage.py make_signing_key`."
        )
    path = Path(value)
    if not path.is_file():
        raise SigningNotConfigured(
            f"Document-signing file {path} does not exist; for development run `manage.py make_signing_key`."
        )
    return path


def _paths() -> tuple[Path, Path]:
    """The current key and certificate (signing needs both; verifying only the certificates)."""
    return _configured("COVENANT_SIGNING_KEY_FILE"), _configured("COVENANT_SIGNING_CERT_FILE")


def _stamp(path: Path) -> tuple[str, float]:
    return str(path), path.stat().st_mtime


@lru_cache(maxsize=8)
def _load_cert(path: str, _mtime: float) -> x509.Certificate:
    return x509.load_pem_x509_certificate(Path(path).read_bytes())


@lru_cache(maxsize=4)
def _load_key(path: str, _mtime: float) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise SigningNotConfigured("The document-signing key must be an EC or RSA private key.")
    return key


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def current_certificate() -> x509.Certificate:
    return _load_cert(*_stamp(_configured("COVENANT_SIGNING_CERT_FILE")))


def certificates() -> dict[str, tuple[x509.Certificate, bool]]:
    """Every certificate whose signatures we accept, by fingerprint: (certificate, rotated)."""
    current = current_certificate()
    found = {fingerprint(current): (current, False)}
    for name in settings.COVENANT_SIGNING_OLD_CERT_FILES:
        cert = _load_cert(*_stamp(Path(name)))
        found.setdefault(fingerprint(cert), (cert, True))
    return found


def make_key(key_path: Path, cert_path: Path, *, common_name: str = "Covenant document signing") -> None:
    """A new EC P-256 key (file mode 0600) and a self-signed certificate (ten
    years) for it. For development, tests and small installations; a
    production key may come from any certificate authority."""
    for path in (key_path, cert_path):
        path.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Covenant"),
        ]
    )
    now = datetime.now(UTC)
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    key_path.touch(mode=0o600)
    key_path.write_bytes(pem)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


# -- PDFs ---------------------------------------------------------------------------------------------------------


def sign_pdf(content: bytes) -> bytes:
    """``content`` with a PAdES signature by the current key over the whole file."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    key_path, cert_path = _paths()
    signer = signers.SimpleSigner.load(str(key_path), str(cert_path))  # type: ignore[no-untyped-call]
    if signer is None:  # pyHanko logs the reason and returns None
        raise SigningNotConfigured(f"Could not load the document-signing key {key_path} with {cert_path}.")
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES, reason="Issued by Covenant"
    )
    out = _outside_event_loop(
        lambda: signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(content)), meta, signer=signer)
    )
    signed: bytes = out.getvalue()
    return signed


T = TypeVar("T")


def _outside_event_loop(call: Callable[[], T]) -> T:
    """pyHanko's synchronous API runs its own asyncio loop, which fails in a
    thread that already runs one (an ASGI worker, a browser-test driver):
    there the call goes to a short-lived thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def verify_pdf(content: bytes) -> PdfVerdict:
    """Is ``content`` a PDF signed by one of our keys, unchanged since? Never raises on bad input."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    if not content.startswith(b"%PDF"):
        return PdfVerdict(False, "the file is not a PDF")
    try:
        signatures = PdfFileReader(io.BytesIO(content), strict=False).embedded_signatures
    except Exception:
        return PdfVerdict(False, "the file is damaged or was changed after signing (it cannot be read as a PDF)")
    if not signatures:
        return PdfVerdict(False, "the file carries no signature")
    ours = certificates()
    roots = [asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)) for cert, _ in ours.values()]
    # The signature that covers the whole file: the last one (an incremental update after it is a change).
    embedded = signatures[-1]
    try:
        status = _outside_event_loop(
            lambda: validate_pdf_signature(embedded, ValidationContext(trust_roots=roots, allow_fetching=False))
        )
    except Exception:
        return PdfVerdict(False, "the signature cannot be read")
    found = embedded.signer_cert.sha256.hex()
    if found not in ours:
        return PdfVerdict(False, "the signature was not made by this portal")
    if not (status.intact and status.valid):
        return PdfVerdict(False, "the file was changed after it was signed", fingerprint=found)
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return PdfVerdict(False, "the file was changed after it was signed (the signature does not cover it all)")
    return PdfVerdict(True, "", fingerprint=found, signed_at=status.signer_reported_dt, rotated=ours[found][1])


# -- small statements ---------------------------------------------------------------------------------------------


def sign_bytes(data: bytes) -> tuple[str, str]:
    """A detached signature of ``data`` by the current key: (base64 signature, certificate fingerprint)."""
    key_path, cert_path = _paths()
    key = _load_key(*_stamp(key_path))
    if isinstance(key, ec.EllipticCurvePrivateKey):
        raw = key.sign(data, ec.ECDSA(hashes.SHA256()))
    else:
        raw = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode(), fingerprint(_load_cert(*_stamp(cert_path)))


def verify_bytes(data: bytes, signature: str) -> str | None:
    """The fingerprint of our certificate (current or rotated) whose key signed ``data``, or None."""
    try:
        raw = base64.b64decode(signature, validate=True)
    except ValueError:
        return None
    for found, (cert, _) in certificates().items():
        public = cert.public_key()
        try:
            if isinstance(public, ec.EllipticCurvePublicKey):
                public.verify(raw, data, ec.ECDSA(hashes.SHA256()))
            elif isinstance(public, rsa.RSAPublicKey):
                public.verify(raw, data, padding.PKCS1v15(), hashes.SHA256())
            else:
                continue
        except InvalidSignature:
            continue
        return found
    return None
