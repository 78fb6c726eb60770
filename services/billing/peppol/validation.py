"""Validate a UBL document the way a Peppol access point does, with the official rule files.

Three layers: the OASIS UBL 2.1 XSD (Invoice or CreditNote, by the root element) with lxml,
then the CEN EN 16931 and the OpenPeppol BIS Billing 3.0 Schematron rules, prebuilt as
XSLT 2.0, run with Saxon-HE (saxonche). The rule files are third-party data kept outside the
repository (`COOP_PEPPOL_RULES`, laid out as `../shared/peppol/`); this module only reads them.

Compiling both stylesheets takes about a second, so a validator compiles once and is reused.
One Saxon executable must not run two transformations at once, and lxml's schema keeps its
error log on the object: one lock makes `validate` thread-safe (about 20 ms per document).
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree  # type: ignore[import-untyped, unused-ignore]
from saxonche import PySaxonApiError, PySaxonProcessor  # type: ignore[import-not-found, unused-ignore]

RULES_ENV = "COOP_PEPPOL_RULES"
XSD_RULE = "XSD"
SCHEMATRON_RULE = "SCHEMATRON"  # the rules could not be run on the document
FATAL = "fatal"
SVRL_NS = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
_ROOT_SCHEMAS = {
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2": Path(
        "ubl-2.1/xsd/maindoc/UBL-Invoice-2.1.xsd"
    ),
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2": Path(
        "ubl-2.1/xsd/maindoc/UBL-CreditNote-2.1.xsd"
    ),
}
_STYLESHEETS = (
    ("EN16931", Path("en16931/EN16931-UBL-validation.xslt")),
    ("PEPPOL", Path("peppol/PEPPOL-EN16931-UBL.xslt")),
)


class PeppolRulesMissing(RuntimeError):
    """The rules directory, or one of the rule files in it, is absent."""


@dataclass(frozen=True)
class ValidationReport:
    ok: bool  # no XSD error and no fatal assertion
    # rule ids of fatal failed-asserts (+ "XSD" for schema errors, "SCHEMATRON" when the rules
    # could not be run on the document)
    failed_rules: tuple[str, ...]
    warnings: tuple[str, ...]  # rule ids of warnings
    messages: tuple[str, ...]  # human-readable lines: "BR-CO-15 [fatal] /Invoice: ..."


@dataclass(frozen=True)
class _Finding:
    rule: str
    flag: str
    location: str
    text: str

    def line(self) -> str:
        return f"{self.rule} [{self.flag}] {self.location}: {self.text}"


def _short_location(xpath: str) -> str:
    # SVRL writes "/*:Invoice[namespace-uri()='...'][1]/*:InvoiceLine[...][1]": keep the names.
    xpath = re.sub(r"\[namespace-uri\(\)='[^']*'\]", "", xpath)
    return xpath.replace("*:", "") or "/"


def _safe_parser() -> Any:
    # A document from outside: no DTD, no entity expansion, no network.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=False
    )


def _report(findings: list[_Finding]) -> ValidationReport:
    fatal = [f for f in findings if f.flag == FATAL]
    others = [f for f in findings if f.flag != FATAL]
    return ValidationReport(
        ok=not fatal,
        failed_rules=tuple(dict.fromkeys(f.rule for f in fatal)),
        warnings=tuple(dict.fromkeys(f.rule for f in others)),
        messages=tuple(f.line() for f in fatal + others),
    )


class PeppolValidator:
    """The UBL 2.1 XSDs and both Schematron rule sets, compiled once."""

    def __init__(
        self, rules: Path, processor: Any, schemas: Mapping[str, Any], executables: Any
    ) -> None:
        """Use `from_directory`; the processor owns the executables' runtime, so it lives
        as long as they do."""
        self.rules = rules
        self._processor = processor
        self._schemas = dict(schemas)
        self._executables: list[tuple[str, Any]] = list(executables)
        self._lock = threading.Lock()

    @classmethod
    def from_directory(cls, rules: Path) -> PeppolValidator:
        """Compile the rule files found in `rules` (the layout of `shared/peppol`)."""
        if not rules.is_dir():
            raise PeppolRulesMissing(f"Peppol rules directory not found: {rules}")
        needed = [*_ROOT_SCHEMAS.values(), *(path for _, path in _STYLESHEETS)]
        missing = [str(rules / path) for path in needed if not (rules / path).is_file()]
        if missing:
            raise PeppolRulesMissing("Peppol rule files missing: " + ", ".join(missing))
        schemas = {
            namespace: etree.XMLSchema(etree.parse(str(rules / path)))
            for namespace, path in _ROOT_SCHEMAS.items()
        }
        processor = PySaxonProcessor(license=False)
        compiler = processor.new_xslt30_processor()
        executables = [
            (name, compiler.compile_stylesheet(stylesheet_file=str(rules / path)))
            for name, path in _STYLESHEETS
        ]
        return cls(rules, processor, schemas, executables)

    def validate(self, xml: bytes) -> ValidationReport:
        """Every XSD error and every Schematron assertion of one document."""
        try:
            document = etree.fromstring(xml, _safe_parser())
        except etree.XMLSyntaxError as error:
            return _report([_Finding(XSD_RULE, FATAL, "/", f"not well-formed XML: {error}")])
        if document.getroottree().docinfo.doctype:
            # UBL has no DTD; one could only smuggle entities in (and breaks the XSD check).
            return _report([_Finding(XSD_RULE, FATAL, "/", "a DOCTYPE is not allowed in UBL")])
        namespace = etree.QName(document).namespace
        schema = self._schemas.get(namespace)
        if schema is None:
            text = f"root element {document.tag} is neither a UBL Invoice nor a CreditNote"
            return _report([_Finding(XSD_RULE, FATAL, "/", text)])
        text = etree.tostring(document, encoding="unicode")
        with self._lock:
            findings = [
                _Finding(XSD_RULE, FATAL, f"line {error.line}", error.message)
                for error in ([] if schema.validate(document) else schema.error_log)
            ]
            try:
                node = self._processor.parse_xml(xml_text=text)
                reports = [exe.transform_to_string(xdm_node=node) for _, exe in self._executables]
            except PySaxonApiError as error:
                # Not checked is not passed: say so rather than answer ok.
                findings.append(_Finding(SCHEMATRON_RULE, FATAL, "/", f"rules not run: {error}"))
                reports = []
        for svrl in reports:
            findings.extend(_svrl_findings(svrl))
        return _report(findings)


def _svrl_findings(svrl: str) -> list[_Finding]:
    report = etree.fromstring(svrl.encode("utf-8"), _safe_parser())
    findings: list[_Finding] = []
    for kind in ("failed-assert", "successful-report"):
        for element in report.iterfind(f".//svrl:{kind}", SVRL_NS):
            message = element.find("svrl:text", SVRL_NS)
            text = "" if message is None else " ".join("".join(message.itertext()).split())
            findings.append(
                _Finding(
                    rule=element.get("id") or "?",
                    flag=(element.get("flag") or FATAL).lower(),
                    location=_short_location(element.get("location") or ""),
                    text=text,
                )
            )
    return findings


@functools.lru_cache(maxsize=4)
def _cached_validator(rules: str) -> PeppolValidator:
    return PeppolValidator.from_directory(Path(rules))


def validator_from_env(environ: Mapping[str, str] = os.environ) -> PeppolValidator | None:
    """COOP_PEPPOL_RULES -> a validator (cached per path), unset -> None."""
    rules = environ.get(RULES_ENV, "").strip()
    if not rules:
        return None
    return _cached_validator(str(Path(rules).resolve()))
