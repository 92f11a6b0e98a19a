"""A fake vnpy for hamd's tests (see tests/fakevnpy/README.md): the parts
of vnpy that hamd-gw-vnpy, hamd.to_vnpy and hamd.vnpy_gateway use, with
the names, fields and behaviour of vnpy's documented interface
(vnpy.event, vnpy.trader.object, .constant, .gateway, .event). Written for
these tests, not copied: vnpy itself is not installable here."""
