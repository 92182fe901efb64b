"""runcontract: schema validation and contract tests for Assistants API Run objects."""

__version__ = "0.1.0"
