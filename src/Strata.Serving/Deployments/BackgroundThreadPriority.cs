using System.Runtime.InteropServices;

namespace Strata.Serving.Deployments;

/// <summary>
/// Lowers the calling thread's scheduling priority, so work on it runs on spare CPU only. On Linux that is the
/// thread's nice value (19, the lowest; .NET's <see cref="Thread.Priority"/> does nothing there); elsewhere
/// <see cref="ThreadPriority.Lowest"/>.
/// </summary>
internal static class BackgroundThreadPriority
{
    private const int PrioProcess = 0;
    private const int Lowest = 19;

    public static bool TryLowerCurrentThread()
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                // PRIO_PROCESS with a thread id sets that thread's nice value alone (Linux threads are tasks).
                return NativeMethods.SetPriority(PrioProcess, NativeMethods.GetTid(), Lowest) == 0;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                return false;
            }
        }

        try
        {
            Thread.CurrentThread.Priority = ThreadPriority.Lowest;
            return true;
        }
        catch (Exception e) when (e is PlatformNotSupportedException or ThreadStateException)
        {
            return false;
        }
    }

    /// <summary>
    /// CPU time the calling thread has used, in microseconds (Linux: <c>CLOCK_THREAD_CPUTIME_ID</c>, a vDSO call);
    /// null where it cannot be read.
    /// </summary>
    public static long? CurrentThreadCpuMicroseconds()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            return NativeMethods.ClockGetTime(ClockThreadCpuTime, out var t) == 0 ? (t.Seconds * 1_000_000) + (t.Nanoseconds / 1000) : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    private const int ClockThreadCpuTime = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "clock_gettime")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int ClockGetTime(int clock, out TimeSpec time);

        [DllImport("libc", EntryPoint = "setpriority")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int SetPriority(int which, int who, int priority);

        [DllImport("libc", EntryPoint = "gettid")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int GetTid();
    }
}
