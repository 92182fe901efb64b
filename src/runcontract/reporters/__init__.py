"""Reporters by name: text, json, junit, sarif."""

from runcontract.reporters.base import Reporter, ReporterFactory
from runcontract.reporters.jsonreport import JsonReporter
from runcontract.reporters.junit import JunitReporter
from runcontract.reporters.sarif import SarifReporter
from runcontract.reporters.text import TextReporter

REPORTERS: dict[str, ReporterFactory] = {
    "text": TextReporter,
    "json": JsonReporter,
    "junit": JunitReporter,
    "sarif": SarifReporter,
}

__all__ = [
    "REPORTERS",
    "JsonReporter",
    "JunitReporter",
    "Reporter",
    "SarifReporter",
    "TextReporter",
]
