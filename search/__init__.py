"""Search: a query and filters in, ranked and highlighted Results out."""

import dwsearch.index  # noqa: F401  (first, for its light import of Whoosh's reader)
