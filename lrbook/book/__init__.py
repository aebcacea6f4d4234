"""What only the book needs: helpers for the chapters, not part of the lrbook library.

- :mod:`lrbook.book.replicas`: train a network from several seeds at once, as one model.
- :mod:`lrbook.book.claims`: check (and log) what a chapter claims about a training result.
"""
