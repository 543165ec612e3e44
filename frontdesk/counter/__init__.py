"""The counter: where a samhällsvägledare logs every contact.

The blueprint lives in counter.views; importing the package does not load the pages,
so the domain modules (operations, forms) can be imported without the web layer.
"""
