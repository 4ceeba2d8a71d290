"""The stages of a dialect's OpenAPI document, each a module named for the part it writes.

facade/dialect/openapi.py assembles them: the paths and their operations,
what each operation reads (parameters and request bodies), what it answers
(responses, their examples rendered by the engine, made-up results for
them), the security schemes, and the components those answers refer to.
"""
