# The Debian package: `cpack -G DEB` in a build directory makes
# hamd_VERSION_amd64.deb (docs/deployment.md, "Install"). What goes where:
#
#   /usr/bin/hamd, /usr/bin/hactl                   the programs
#   /usr/lib/hamd/hamd-gw-sim, -replay, -vnpy       the gateways hamd ships
#   /usr/lib/libhamd-client.so.1                    the client library, its
#   /usr/include/hamd/, /usr/lib/pkgconfig/         headers and pkg-config file
#   /usr/lib/hamd/hooks/                            vip-up, vip-down, dns-update,
#                                                   webhook, keepalived-track and
#                                                   their libraries:
#                                                   code, upgraded with the package
#   /usr/lib/systemd/system/hamd.service            the unit (not enabled)
#   /usr/lib/sysusers.d/hamd.conf                   the hamd system user
#   /usr/lib/tmpfiles.d/hamd.conf                   /run/hamd-keepalived at boot
#   /usr/share/man/man8, man5                       hamd(8), hactl(8), hamd.ini(5)
#   /usr/share/bash-completion/completions/hactl    completion
#   /usr/share/doc/hamd/                            README and docs/*.md
#   /usr/share/doc/hamd/examples/                   configs, hook settings,
#                                                   keepalived, Prometheus, Grafana,
#                                                   and docs/examples (the client
#                                                   quick starts, subscriber.py,
#                                                   gateway.py) the docs link to
#
# Nothing goes to /etc: the hook settings and hamd.ini are the operator's
# (copied from examples/), and postinst makes /etc/hamd (root:hamd 0750).
# Depends comes from dpkg-shlibdeps (the libraries the programs link).

set(HAMD_DEPLOY ${CMAKE_SOURCE_DIR}/deploy)
set(HAMD_DOC_DIR ${CMAKE_INSTALL_DATADIR}/doc/hamd)
set(HAMD_EXAMPLES ${HAMD_DOC_DIR}/examples)

install(PROGRAMS ${HAMD_DEPLOY}/hooks/vip-up ${HAMD_DEPLOY}/hooks/vip-down
                 ${HAMD_DEPLOY}/hooks/dns-update ${HAMD_DEPLOY}/hooks/webhook
                 ${HAMD_DEPLOY}/hooks/keepalived-track
        DESTINATION lib/hamd/hooks)
install(FILES ${HAMD_DEPLOY}/hooks/vip-lib.sh ${HAMD_DEPLOY}/hooks/hook-lib.sh
        DESTINATION lib/hamd/hooks)
install(FILES ${HAMD_DEPLOY}/systemd/hamd.service DESTINATION lib/systemd/system)
install(FILES ${HAMD_DEPLOY}/systemd/hamd.sysusers DESTINATION lib/sysusers.d
        RENAME hamd.conf)
install(FILES ${HAMD_DEPLOY}/systemd/hamd.tmpfiles DESTINATION lib/tmpfiles.d
        RENAME hamd.conf)
install(FILES ${HAMD_DEPLOY}/completion/hactl
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${HAMD_DEPLOY}/debian/copyright
        DESTINATION ${HAMD_DOC_DIR})
file(GLOB HAMD_DOCS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${HAMD_DOCS} DESTINATION ${HAMD_DOC_DIR})
install(DIRECTORY ${HAMD_DEPLOY}/examples/ DESTINATION ${HAMD_EXAMPLES})
# docs/*.md link to examples/client_tail.c and the others: beside them.
install(FILES ${CMAKE_SOURCE_DIR}/docs/examples/client_tail.c
        DESTINATION ${HAMD_EXAMPLES})
install(PROGRAMS ${CMAKE_SOURCE_DIR}/docs/examples/client_tail.py
                 ${CMAKE_SOURCE_DIR}/docs/examples/subscriber.py
                 ${CMAKE_SOURCE_DIR}/docs/examples/gateway.py
        DESTINATION ${HAMD_EXAMPLES})
install(FILES ${HAMD_DEPLOY}/hooks/vip.conf ${HAMD_DEPLOY}/hooks/dns.conf
              ${HAMD_DEPLOY}/hooks/webhook.conf
        DESTINATION ${HAMD_EXAMPLES}/hooks)
install(DIRECTORY ${HAMD_DEPLOY}/keepalived ${HAMD_DEPLOY}/prometheus
                  ${HAMD_DEPLOY}/monitoring
        DESTINATION ${HAMD_EXAMPLES})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME hamd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "hamd")
set(CPACK_PACKAGE_CONTACT "hamd maintainers <root@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "high-availability market-data hub")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "Two or three hosts form a Raft cluster; every host runs the market-data\n\
gateways of every data-source account, and only the leader publishes\n\
ticks on a ZeroMQ endpoint. A health monitor and a priority failover\n\
engine move each contract to the best healthy source with no gap and no\n\
duplicate. Includes hamd, hactl, the systemd unit, VIP, DNS and webhook\n\
hooks, man pages, bash completion and monitoring examples.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libhamd-client.so.1 (docs/client.md) is in the package: a shlibs file
# for programs built against it (the ldconfig trigger is deploy/debian/triggers).
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
# passwd: useradd where systemd-sysusers is missing.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
# The VIP hooks (ip, arping), the webhook (curl), completion.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "iproute2, iputils-arping, curl, bash-completion")
# The DNS hook (nsupdate), keepalived instead of the hooks, python3 for
# the vnpy bridge (/usr/lib/hamd/hamd-gw-vnpy; vnpy itself lives in a
# virtualenv, docs/gateway-protocol.md).
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bind9-dnsutils, keepalived, python3")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${HAMD_DEPLOY}/debian/postinst ${HAMD_DEPLOY}/debian/prerm
    ${HAMD_DEPLOY}/debian/postrm ${HAMD_DEPLOY}/debian/triggers)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
