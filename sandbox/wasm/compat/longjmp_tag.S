# The exception tag that clang's wasm setjmp/longjmp lowering (-mllvm -wasm-enable-sjlj with
# the new exception-handling encoding) throws and catches; wasi-libc's setjmp runtime
# (rt.c) refers to it but zig's bundled copy does not define it.  One i32 payload: the
# jmp_buf pointer.
	.tagtype __c_longjmp i32
	.globl __c_longjmp
__c_longjmp:
