/*
 * onekvm-entry: what each action of the remotes tree is (vmm/kvm/deploy,
 * im/kvm-probes.d/vm/monitor/vm_monitor, ...). It execs the onekvm binary of
 * the tree it sits in and keeps argv[0], so that onekvm knows the action and
 * its tree (kvmrc) by the name it was called by.
 *
 * Why not a symlink to onekvm: onehost sync copies the remotes tree with
 * rsync -L, which would put a full copy of the binary on each host per action.
 * Why not a bash stub (exec -a): starting bash costs about 1.5 ms of every
 * action; this costs about 0.3 ms (./build.sh bench measures both).
 *
 * Where onekvm is: beside the entry (vmm/kvm/), else in vmm/kvm/ of its own
 * directory (vtpm_setup at the remotes root) or of the nearest one above it
 * (the probes, four levels below the remotes root). The
 * directory is taken from argv[0], as the bash stub took it from $0; a name
 * without a slash (found on PATH) falls back to this file's own location.
 *
 * Freestanding x86-64 Linux (no libc): 1 KB, nothing to load, nothing that a
 * glibc upgrade on the host could break. A failed exec leaves one line on
 * stderr and exit code 126, as a shell gives for a program it cannot run (42
 * is the driver's "script missing").
 */

#define SYS_write 1
#define SYS_execve 59
#define SYS_exit 60
#define SYS_readlink 89

#define PATH_CAPACITY 4096
#define MAX_LEVELS 6

static long syscall3(long number, long a, long b, long c)
{
    long result;
    __asm__ volatile("syscall"
                     : "=a"(result)
                     : "a"(number), "D"(a), "S"(b), "d"(c)
                     : "rcx", "r11", "memory");
    return result;
}

static long append(char *path, long length, const char *text)
{
    while (*text && length < PATH_CAPACITY - 1)
        path[length++] = *text++;
    path[length] = '\0';
    return length;
}

__attribute__((noreturn)) static void fail(const char *directory)
{
    static const char prefix[] = "onekvm entry: no onekvm binary that runs beside or above ";
    static const char suffix[] = "\n";
    long length = 0;
    while (directory[length])
        length++;
    syscall3(SYS_write, 2, (long)prefix, sizeof prefix - 1);
    syscall3(SYS_write, 2, (long)directory, length);
    syscall3(SYS_write, 2, (long)suffix, sizeof suffix - 1);
    syscall3(SYS_exit, 126, 0, 0);
    __builtin_unreachable();
}

__attribute__((noreturn, used)) void entry(long *stack)
{
    long argc = stack[0];
    char **argv = (char **)(stack + 1);
    char **envp = argv + argc + 1;
    char path[PATH_CAPACITY];
    long directory = 0;

    /* the directory part of argv[0], slash included */
    const char *name = argc > 0 && argv[0] ? argv[0] : "";
    for (long i = 0; name[i] && i < PATH_CAPACITY - 1; i++) {
        path[i] = name[i];
        if (name[i] == '/')
            directory = i + 1;
    }
    if (directory == 0) {
        long length = syscall3(SYS_readlink, (long)"/proc/self/exe", (long)path, PATH_CAPACITY - 1);
        for (long i = 0; i < length; i++)
            if (path[i] == '/')
                directory = i + 1;
    }
    path[directory] = '\0';

    append(path, directory, "onekvm");
    syscall3(SYS_execve, (long)path, (long)argv, (long)envp);
    long length = directory;
    for (int level = 0; level <= MAX_LEVELS; level++) {
        if (level > 0)
            length = append(path, length, "../");
        append(path, length, "vmm/kvm/onekvm");
        syscall3(SYS_execve, (long)path, (long)argv, (long)envp);
    }
    path[directory] = '\0';
    fail(directory > 0 ? path : "./");
}

/* the kernel starts a static program at _start with argc, argv and envp on the stack */
__asm__(".text\n"
        ".globl _start\n"
        "_start:\n"
        "  xor %ebp, %ebp\n"
        "  mov %rsp, %rdi\n"
        "  and $-16, %rsp\n"
        "  call entry\n"
        "  hlt\n");
