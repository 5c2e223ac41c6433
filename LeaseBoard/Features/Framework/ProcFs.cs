using System.ComponentModel;
using System.Globalization;
using System.Runtime.InteropServices;

namespace LeaseBoard.Features.Framework;

/// <summary>
/// What Linux's /proc says of processes, and signals sent only after checking who a process is. A pid alone
/// names nothing durable: once a process is gone its number is handed out again, so a run is recognised by its
/// process group id together with the leader's start time (clock ticks since boot) and the host's boot id.
/// </summary>
internal static class ProcFs
{
    public const int SigKill = 9, SigTerm = 15;
    private const int Esrch = 3;

    /// <summary>Changes with every boot: a run recorded under another boot id is gone for sure.</summary>
    public static string BootId { get; } = ReadBootId();

    /// <summary>Fields 3 (state), 5 (process group) and 22 (start time) of /proc/&lt;pid&gt;/stat, or null once the process is gone.</summary>
    public static ProcessStat? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // The command name (field 2) is in parentheses and may hold spaces or ')': the fields after the last one are plain.
        var name = text.LastIndexOf(')');
        if (name < 0 || name + 2 > text.Length) return null;
        var fields = text[(name + 2)..].Split(' ');
        return fields.Length > 19
            && int.TryParse(fields[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var group)
            && long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var startTime)
            ? new ProcessStat(pid, fields[0][0], group, startTime)
            : null;
    }

    /// <summary>
    /// Whether the group is still ours and has a member that runs. A zombie is dead: after the app died the
    /// orphaned shell may be reparented to a pid 1 that never reaps it. If the leader is gone its children may
    /// go on, and the group id cannot be handed out again while any of them lives.
    /// </summary>
    public static bool IsAlive(int group, long startTime, string bootId)
    {
        if (bootId != BootId) return false;
        if (Stat(group) is { } leader)
        {
            if (leader.StartTime != startTime) return false; // the number belongs to another process now
            if (!leader.IsZombie) return true;
        }
        return Pids().Any(pid => pid != group && Stat(pid) is { IsZombie: false } member && member.Group == group);
    }

    /// <summary>
    /// Signals the group after checking it is still ours; false when it is gone (or is someone else's). A leader
    /// that has not called setsid yet leads no group: then the leader itself gets the signal.
    /// </summary>
    public static bool SignalGroup(int group, long startTime, string bootId, int signal)
    {
        if (!IsAlive(group, startTime, bootId)) return false;
        if (kill(-group, signal) == 0) return true;
        var error = Marshal.GetLastPInvokeError();
        if (error == Esrch && Stat(group) is { IsZombie: false } leader && leader.StartTime == startTime)
        {
            if (kill(group, signal) == 0) return true;
            error = Marshal.GetLastPInvokeError();
        }
        if (error == Esrch) return false;
        throw new TestFrameworkException($"Could not signal process group {group}: {new Win32Exception(error).Message}");
    }

    /// <summary>Sends the signal to the group a process we just started leads (its identity is known: it is our child).</summary>
    public static bool SignalChildGroup(int pid, bool hasExited, int signal)
    {
        if (kill(-pid, signal) == 0) return true;
        var error = Marshal.GetLastPInvokeError();
        if (error == Esrch && !hasExited)
        {
            if (kill(pid, signal) == 0) return true;
            error = Marshal.GetLastPInvokeError();
        }
        if (error == Esrch) return false;
        throw new TestFrameworkException($"Could not signal process group {pid}: {new Win32Exception(error).Message}");
    }

    /// <summary>Whether some live process has <paramref name="text"/> as one of its arguments.</summary>
    public static bool AnyCommandLineMentions(string text) =>
        Pids().Any(pid =>
        {
            try
            {
                return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0').Contains(text, StringComparer.Ordinal)
                    && Stat(pid) is { IsZombie: false };
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        });

    private static IEnumerable<int> Pids() =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0)
            .Where(pid => pid > 0);

    private static string ReadBootId()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Without a boot id a reboot cannot be told apart; the start time check still guards against reused pids.
            return "";
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}

internal sealed record ProcessStat(int Pid, char State, int Group, long StartTime)
{
    public bool IsZombie => State is 'Z' or 'X';
}
