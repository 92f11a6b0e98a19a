"""A gateway module that cannot be imported, as when the CTP API's shared
library is missing."""
raise ImportError("libthostmduserapi_se.so: cannot open shared object file: "
                  "No such file or directory")
