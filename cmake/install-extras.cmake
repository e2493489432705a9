# install-extras.cmake - install the man pages, systemd units and example
# configuration. Include it from the top-level CMakeLists.txt after
# include(GNUInstallDirs):
#
#   include(cmake/install-extras.cmake)
#
# The programs themselves are installed where they are built
# (install(TARGETS reprintd DESTINATION ${CMAKE_INSTALL_SBINDIR}) and
# reprintctl in ${CMAKE_INSTALL_BINDIR}).
#
# Units go to lib/systemd/system under the prefix (/usr/lib/systemd/system
# for the usual /usr, which systemd reads), sysusers.d and tmpfiles.d files
# to lib/sysusers.d and lib/tmpfiles.d; relative paths, so that DESTDIR
# works (`cmake --install build --prefix DIR` puts the files under DIR,
# but the units still name the programs under the configured prefix:
# configure with -DCMAKE_INSTALL_PREFIX=DIR for another prefix). Override with
# -DREPRINTD_SYSTEMD_UNITDIR=... etc. The units in systemd/ name
# /usr/sbin/reprintd and /usr/bin/reprintctl (a /usr prefix); the ones
# installed name the programs where this prefix puts them (a unit
# needs an absolute path, and /usr/local/sbin/reprintd is not
# /usr/sbin/reprintd). The configuration stays /etc/reprintd/reprintd.conf.

set(REPRINTD_SOURCE_DIR ${CMAKE_CURRENT_LIST_DIR}/..)
set(REPRINTD_SYSTEMD_UNITDIR lib/systemd/system CACHE STRING
  "Directory for reprintd's systemd units (relative: under the prefix)")
set(REPRINTD_SYSUSERSDIR lib/sysusers.d CACHE STRING
  "Directory for reprintd's sysusers.d file")
set(REPRINTD_TMPFILESDIR lib/tmpfiles.d CACHE STRING
  "Directory for reprintd's tmpfiles.d file")

install(FILES ${REPRINTD_SOURCE_DIR}/docs/man/reprintctl.1
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${REPRINTD_SOURCE_DIR}/docs/man/reprintd.conf.5
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES ${REPRINTD_SOURCE_DIR}/docs/man/reprintd.8
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)

set(_units reprintd.service reprintd.socket reprintd-cleanup.service
  reprintd-cleanup.timer)
foreach(_unit ${_units})
  file(READ ${REPRINTD_SOURCE_DIR}/systemd/${_unit} _text)
  string(REPLACE "/usr/sbin/reprintd" "${CMAKE_INSTALL_FULL_SBINDIR}/reprintd"
    _text "${_text}")
  string(REPLACE "/usr/bin/reprintctl" "${CMAKE_INSTALL_FULL_BINDIR}/reprintctl"
    _text "${_text}")
  file(WRITE ${CMAKE_BINARY_DIR}/systemd/${_unit} "${_text}")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
    ${REPRINTD_SOURCE_DIR}/systemd/${_unit})
  install(FILES ${CMAKE_BINARY_DIR}/systemd/${_unit}
    DESTINATION ${REPRINTD_SYSTEMD_UNITDIR})
endforeach()
install(FILES ${REPRINTD_SOURCE_DIR}/systemd/sysusers.d/reprintd.conf
  DESTINATION ${REPRINTD_SYSUSERSDIR})
install(FILES ${REPRINTD_SOURCE_DIR}/systemd/tmpfiles.d/reprintd.conf
  DESTINATION ${REPRINTD_TMPFILESDIR})

# The example goes to the documentation; an admin copies it to
# /etc/reprintd/reprintd.conf (never overwritten by an install).
install(FILES ${REPRINTD_SOURCE_DIR}/etc/reprintd.conf.example
  DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${REPRINTD_SOURCE_DIR}/README.md
  ${REPRINTD_SOURCE_DIR}/docs/API.md
  ${REPRINTD_SOURCE_DIR}/docs/ARCHITECTURE.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR})
