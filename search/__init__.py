"""Search: a query and filters in, ranked and highlighted Results out."""
