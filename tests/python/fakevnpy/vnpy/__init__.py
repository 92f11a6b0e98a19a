"""A stand-in for vnpy in hamd's tests: only the classes hamd.to_vnpy and
hamd.vnpy_gateway use, with the names, fields and behaviour of vnpy's
documented interface (vnpy.trader.object, .constant, .gateway, .event and
vnpy.event). Written for these tests; vnpy itself is not installed here.
Put tests/python/fakevnpy first on sys.path to use it."""
