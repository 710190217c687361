# SPDX-License-Identifier: GPL-2.0-only
# bpf_object(NAME SOURCE [OBJECT STEM] [DEFINES D...]): compile SOURCE with
# clang -target bpf (-DD for each define) into <stem>.bpf.o in the build tree, generate NAME.skel.h with bpftool, and expose
# an INTERFACE target NAME_skel that carries the include path and the
# dependency. Adding a BPF program is one line (after libbpf-bootstrap).
find_program(BPF_CLANG NAMES clang clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)
execute_process(COMMAND uname -m OUTPUT_VARIABLE _bpf_uname_m
                OUTPUT_STRIP_TRAILING_WHITESPACE)
if(_bpf_uname_m STREQUAL "x86_64")
  set(BPF_TARGET_ARCH x86)
elseif(_bpf_uname_m STREQUAL "aarch64")
  set(BPF_TARGET_ARCH arm64)
else()
  set(BPF_TARGET_ARCH ${_bpf_uname_m})
endif()
# <asm/types.h> lives under the multiarch directory on Debian.
execute_process(COMMAND ${CMAKE_C_COMPILER} -print-multiarch
                OUTPUT_VARIABLE _bpf_multiarch OUTPUT_STRIP_TRAILING_WHITESPACE
                ERROR_QUIET)

function(bpf_object name src)
  cmake_parse_arguments(_bpf "" "OBJECT" "DEFINES" ${ARGN})
  get_filename_component(_stem ${src} NAME_WE)
  if(_bpf_OBJECT)
    set(_stem ${_bpf_OBJECT})
  endif()
  set(_defs)
  foreach(_d ${_bpf_DEFINES})
    list(APPEND _defs -D${_d})
  endforeach()
  set(_obj ${CMAKE_CURRENT_BINARY_DIR}/${_stem}.bpf.o)
  set(_skel ${CMAKE_CURRENT_BINARY_DIR}/${name}.skel.h)
  add_custom_command(
    OUTPUT ${_obj}
    COMMAND ${BPF_CLANG} -target bpf -O2 -g -Wall -Wextra -Werror ${_defs}
            -D__TARGET_ARCH_${BPF_TARGET_ARCH}
            -I${CMAKE_SOURCE_DIR}/include
            -I/usr/include/${_bpf_multiarch}
            -c ${src} -o ${_obj}
    DEPENDS ${src} ${CMAKE_SOURCE_DIR}/include/vpncap/abi.h
    COMMENT "BPF ${_stem}.bpf.o"
    VERBATIM)
  add_custom_command(
    OUTPUT ${_skel}
    COMMAND ${BPFTOOL} gen skeleton ${_obj} name ${name} > ${_skel}
    DEPENDS ${_obj}
    COMMENT "skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_gen DEPENDS ${_skel})
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_gen)
  target_include_directories(${name}_skel INTERFACE ${CMAKE_CURRENT_BINARY_DIR})
endfunction()
