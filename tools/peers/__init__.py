"""The peer-conformance script: the gate against open-source Assistants servers (docs/peers.md).

A development tool, not part of the test run: `python -m tools.peers.run` installs each server
into a venv of its own under `.peers/`, serves it on 127.0.0.1, runs `runcontract gate` against
it and writes docs/peers.md.
"""
