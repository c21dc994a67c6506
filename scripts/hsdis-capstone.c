/*
 * A minimal HotSpot disassembler plugin (hsdis) over the capstone library, so that -XX:+PrintAssembly and
 * -XX:CompileCommand=print show the machine code C2 makes of our kernels (docs/perf-gemm.md, "What C2 makes of the
 * GEMV loops"). Debian's libhsdis0-fcml exports only the old decode_instructions entry point, which JDK 25 does
 * not call. Undecodable bytes (data between code, instructions capstone does not know) print as .byte.
 *
 * Build and install into the JDK the launcher uses (a development tool; nothing in the build needs it):
 *   apt-get install -y libcapstone-dev
 *   gcc -O2 -shared -fPIC scripts/hsdis-capstone.c -lcapstone -o "$JAVA_HOME/lib/server/hsdis-amd64.so"
 * Use:
 *   MINITRON_JAVA_OPTS="-XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=print,minitron.tensor.cpu.Gemv::dotFourBf16" \
 *     ./minitron bench gemv --rows 65536 --cols 2048
 */
#include <capstone/capstone.h>
#include <stdint.h>

typedef void *(*event_cb)(void *, const char *, void *);
typedef int (*printf_cb)(void *, const char *, ...);

void *decode_instructions_virtual(uintptr_t start_va, uintptr_t end_va, unsigned char *buffer, uintptr_t length,
                                  event_cb event, void *event_stream, printf_cb out, void *out_stream,
                                  const char *options, int newline) {
    csh handle;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) return NULL;
    cs_option(handle, CS_OPT_SYNTAX, CS_OPT_SYNTAX_INTEL);
    cs_insn *insn = cs_malloc(handle);
    const uint8_t *code = buffer;
    size_t size = length;
    uint64_t address = start_va;
    while (size > 0) {
        uint64_t at = address;
        if (event) event(event_stream, "insn", (void *) (uintptr_t) at);
        if (cs_disasm_iter(handle, &code, &size, &address, insn)) {
            out(out_stream, "%s %s", insn->mnemonic, insn->op_str);
        } else {
            out(out_stream, ".byte 0x%02x", *code);
            code++; size--; address++;
        }
        if (event) event(event_stream, "/insn", (void *) (uintptr_t) address);
        if (newline) out(out_stream, "\n");
    }
    cs_free(insn, 1);
    cs_close(&handle);
    return (void *) (uintptr_t) address;
}
