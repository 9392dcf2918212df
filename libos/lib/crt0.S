/* Program entry: the kernel starts us with rdi = argc, rsi = argv, rsp aligned. */
	.text
	.globl _start
_start:
	xor	%ebp, %ebp
	call	main
	mov	%eax, %edi
	call	exit
	ud2

	.section .note.GNU-stack, "", @progbits
