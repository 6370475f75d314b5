"""Static Iglu repositories: the same files on disk, over HTTP(S) (read-only) or on S3.

A store reads and writes ``schemas/<vendor>/<name>/<format>/<version>`` as bytes, so what is
pulled is exactly what was stored, and a push stores the local file's bytes unchanged.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Protocol

from reflekt_core.errors import RegistryError
from reflekt_core.fsutil import atomic_write_text
from reflekt_core.registries.http import HttpClient, HttpSettings
from reflekt_core.registries.iglu_config import IgluConfig
from reflekt_core.registries.iglu_key import IgluKey, key_from_path
from reflekt_core.warehouses.base import require

log = logging.getLogger(__name__)


#: Files a repository keeps beside its schemas that are not schemas (never reported).
_DOC_SUFFIXES = (".md", ".txt", ".rst", ".html")
_DOC_NAMES = ("README", "LICENSE", "CHANGELOG", "NOTICE")


def _is_doc(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.startswith(".") or name.lower().endswith(_DOC_SUFFIXES) or name.split(".")[0].upper() in _DOC_NAMES


class StaticStore(Protocol):
    where: str
    writable: bool
    #: Files the last listing found under ``schemas/`` that are not ``<vendor>/<name>/<format>/<SchemaVer>``.
    ignored: list[str]

    def list_keys(self, vendor: str | None = None) -> list[IgluKey] | None:
        """Every schema key (of one vendor); None when the store cannot be listed."""

    def read(self, key: IgluKey) -> bytes | None:
        """The stored bytes, or None when there is no such schema."""

    def write(self, key: IgluKey, data: bytes) -> None: ...


class DiskStore:
    """A static repository in a folder (its ``schemas/`` subfolder holds the schemas)."""

    writable = True

    def __init__(self, root: Path):
        self.root = root
        self.where = str(root)
        self.ignored: list[str] = []

    def list_keys(self, vendor: str | None = None) -> list[IgluKey]:
        base = self.root / "schemas"
        if not base.is_dir():
            if not self.root.is_dir():
                raise RegistryError(f"Iglu repository folder {self.root} does not exist",
                                    hint="check uri in the profile's iglu entry")
            return []
        keys = []
        self.ignored = []
        for dirpath, dirnames, filenames in os.walk(base / vendor if vendor else base):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            rel = os.path.relpath(dirpath, self.root).replace(os.sep, "/")
            for file_name in sorted(filenames):
                key = key_from_path(f"{rel}/{file_name}")
                if key and (vendor is None or key.vendor == vendor):
                    keys.append(key)
                elif key is None and not _is_doc(file_name):
                    self.ignored.append(f"{rel}/{file_name}")
        self.ignored.sort()
        return sorted(keys, key=lambda k: k.sort_key)

    def read(self, key: IgluKey) -> bytes | None:
        try:
            return (self.root / key.path).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise RegistryError(f"cannot read {self.root / key.path}: {exc.strerror}") from None

    def write(self, key: IgluKey, data: bytes) -> None:
        atomic_write_text(self.root / key.path, data.decode("utf-8"))


class HttpStore:
    """A static repository served over HTTP(S), read as any Iglu client reads one: by key."""

    writable = False

    def __init__(self, base_url: str, settings: HttpSettings):
        self.http = HttpClient("Iglu repository", base_url, {"Accept": "application/json"}, settings)
        self.where = base_url
        self.ignored: list[str] = []

    def list_keys(self, vendor: str | None = None) -> None:
        return None  # static HTTP repositories have no listing

    def read(self, key: IgluKey) -> bytes | None:
        try:
            return self.http.request("GET", f"/{key.path}", expected=(200,), raw=True)
        except RegistryError as exc:
            if exc.status in (403, 404):  # S3 and CDN static sites answer 403 for a missing object
                return None
            raise

    def write(self, key: IgluKey, data: bytes) -> None:
        raise RegistryError(f"the Iglu repository at {self.where} is read-only over HTTP",
                            hint="push to its S3 bucket (uri: s3://...) or folder instead")


class S3Store:
    """A static repository in an S3 bucket (or any S3-compatible store), with boto3."""

    writable = True

    def __init__(self, config: IgluConfig, settings: HttpSettings):
        boto3 = require("boto3", "s3", "An Iglu repository on S3")
        botocore_config = require("botocore.config", "s3", "An Iglu repository on S3")
        self._botocore = require("botocore.exceptions", "s3", "An Iglu repository on S3")
        bucket_and_prefix = config.uri[len("s3://"):]
        self.bucket, _, prefix = bucket_and_prefix.partition("/")
        if not self.bucket:
            raise RegistryError(f"'{config.uri}' names no bucket", hint="use uri: s3://bucket[/prefix]")
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.where = config.uri
        self.ignored: list[str] = []
        self._etags: dict[IgluKey, str] = {}
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=config.endpoint_url, region_name=config.region,
            aws_access_key_id=config.aws_access_key_id, aws_secret_access_key=config.aws_secret_access_key,
            config=botocore_config.Config(
                connect_timeout=settings.timeout, read_timeout=settings.timeout,
                retries={"max_attempts": settings.retries + 1, "mode": "standard"},
                # S3-compatible stores (MinIO, moto, Ceph) answer on one host: path-style addressing.
                s3={"addressing_style": "path"} if config.endpoint_url else None))

    def _call(self, what: str, func, **kwargs):
        errors = self._botocore
        try:
            return func(**kwargs)
        except errors.ClientError as exc:
            error = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            code = error.get("Code", "")
            if code in ("NoSuchKey", "404"):
                return None
            hint = {"NoSuchBucket": "check the bucket in uri", "AccessDenied": "the credentials lack permission",
                    "InvalidAccessKeyId": "check the AWS credentials",
                    "SignatureDoesNotMatch": "check the AWS credentials"}.get(code, "try again later")
            raise RegistryError(f"S3: {what} on {self.where} failed: {code or status}: "
                                f"{error.get('Message', '')}".rstrip(": "), status=status,
                                transient=bool(status and status >= 500), hint=hint) from None
        except errors.NoCredentialsError:
            raise RegistryError(f"S3: no AWS credentials for {self.where}",
                                hint="set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, an AWS profile, or the "
                                     "entry's aws_access_key_id/aws_secret_access_key") from None
        except (errors.ConnectTimeoutError, errors.ReadTimeoutError):
            raise RegistryError(f"S3: {what} on {self.where} timed out", transient=True,
                                hint="check the network, or try again later") from None
        except errors.BotoCoreError as exc:
            raise RegistryError(f"S3: {what} on {self.where} failed: {str(exc)[:200]}", transient=True,
                                hint="check the network and endpoint_url") from None

    def list_keys(self, vendor: str | None = None) -> list[IgluKey]:
        keys = []
        self.ignored = []
        start = f"{self.prefix}schemas/" + (f"{vendor}/" if vendor else "")
        token = None
        for _ in range(100_000):  # a bounded loop: one page per 1,000 objects
            kwargs = {"Bucket": self.bucket, "Prefix": start, **({"ContinuationToken": token} if token else {})}
            page = self._call("listing", self.client.list_objects_v2, **kwargs) or {}
            for item in page.get("Contents") or []:
                key = key_from_path(item["Key"][len(self.prefix):])
                if key:
                    keys.append(key)
                    self._etags[key] = str(item.get("ETag") or "").strip('"')
                elif not _is_doc(item["Key"]) and not item["Key"].endswith("/"):
                    self.ignored.append(item["Key"][len(self.prefix):])
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                break
        return sorted(keys, key=lambda k: k.sort_key)

    def holds_bytes(self, key: IgluKey, data: bytes) -> bool:
        """True when a listed object's ETag (the MD5 of a single-part upload) is that of ``data``:
        an unchanged push then needs no download."""
        return self._etags.get(key) == hashlib.md5(data, usedforsecurity=False).hexdigest()

    def read(self, key: IgluKey) -> bytes | None:
        response = self._call(f"reading {key.path}", self.client.get_object, Bucket=self.bucket,
                              Key=self.prefix + key.path)
        if response is None:
            return None
        try:
            return response["Body"].read()
        except self._botocore.BotoCoreError as exc:
            raise RegistryError(f"S3: reading {key.path} from {self.where} failed: {str(exc)[:200]}",
                                transient=True, hint="try again later") from None

    def write(self, key: IgluKey, data: bytes) -> None:
        self._call(f"writing {key.path}", self.client.put_object, Bucket=self.bucket, Key=self.prefix + key.path,
                   Body=data, ContentType="application/json")
