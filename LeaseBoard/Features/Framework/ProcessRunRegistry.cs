using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LeaseBoard.Features.Framework;

/// <summary>
/// The process driver's memory on disk, so runs outlive the app that started them:
/// <code>
/// lock                      held (flock) around every fencing-token check and every start
/// tokens/&lt;environment&gt;      the newest fencing token seen for the environment (kept when runs are forgotten)
/// runs/&lt;key&gt;/run.json       the <see cref="RunRecord"/>, written before the process is spawned
/// runs/&lt;key&gt;/pid            "pid start-time boot-id", written by the run's wrapper shell as its first step
/// runs/&lt;key&gt;/output.log     the run's stdout and stderr
/// runs/&lt;key&gt;/exit-code      written by the wrapper when the command ends (by the driver if the shell was killed)
/// runs/&lt;key&gt;/force-stop     a SIGKILL was sent, so a run gone without exit code was killed by us
/// </code>
/// The key is the last part of the run id (proc-&lt;pid&gt;-&lt;key&gt;): it is chosen before the pid is known.
/// Files are replaced atomically (temp file, then rename), so a crash leaves the old or the new content.
/// Adoption starts here: a lease's run is found by (environment, fencing token), and a record whose starter died
/// before writing the pid is completed from the wrapper's pid file; <see cref="ProcessRunCache"/> then holds the
/// adopted runs in memory.
/// </summary>
internal sealed partial class ProcessRunRegistry
{
    public const string OutputFileName = "output.log";
    private const int Ewouldblock = 11;
    private static readonly TimeSpan LockRetryDelay = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(15);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ProcessRunRegistry(string stateDirectory, TimeProvider time, ILogger logger)
    {
        _time = time;
        _logger = logger;
        Root = Path.GetFullPath(stateDirectory);
        try
        {
            Directory.CreateDirectory(RunsDirectory);
            Directory.CreateDirectory(TokensDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TestFrameworkException($"{ProcessFrameworkOptions.Section}:StateDirectory '{Root}' cannot be used: {e.Message}", e);
        }
    }

    public string Root { get; }
    private string RunsDirectory => Path.Combine(Root, "runs");
    private string TokensDirectory => Path.Combine(Root, "tokens");

    public string RunDirectory(string key) => Path.Combine(RunsDirectory, key);

    /// <summary>
    /// Takes the registry's exclusive lock, shared by every driver instance on this host (two app processes, or
    /// an app and its restarted self). On Linux, .NET opens a FileShare.None file with flock(LOCK_EX | LOCK_NB):
    /// the kernel releases it when its holder dies, so a crash never leaves it held, but a second opener fails
    /// at once instead of waiting — hence the retries.
    /// </summary>
    public async Task<IDisposable> LockAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct); // this instance's callers queue here instead of polling the file
        try
        {
            var started = _time.GetTimestamp();
            var path = Path.Combine(Root, "lock");
            while (true)
            {
                try
                {
                    return new Held(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None), _gate);
                }
                catch (IOException e) when (e.HResult == Ewouldblock) // the runtime reports the errno: held by another process
                {
                    if (_time.GetElapsedTime(started) > LockTimeout)
                        throw new TestFrameworkException($"The process driver's state directory {Root} stayed locked by another process for {LockTimeout.TotalSeconds:0} s.", e);
                }
                await Task.Delay(LockRetryDelay, _time, ct);
            }
        }
        catch
        {
            _gate.Release();
            throw;
        }
    }

    public long? NewestToken(string environmentKey)
    {
        var path = TokenFile(environmentKey);
        if (!File.Exists(path)) return null;
        var text = File.ReadAllText(path).Trim();
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var token)
            ? token
            : throw new TestFrameworkException($"The fencing token file {path} holds '{text}', not a number; fix or delete it.");
    }

    public void SaveNewestToken(string environmentKey, long token) =>
        WriteAtomically(TokenFile(environmentKey), token.ToString(CultureInfo.InvariantCulture) + "\n");

    public IEnumerable<string> Keys() =>
        Directory.EnumerateDirectories(RunsDirectory).Select(Path.GetFileName).Where(IsKey)!;

    /// <summary>A key no run has; call under the lock.</summary>
    public string NewKey()
    {
        while (true)
        {
            var key = Guid.NewGuid().ToString("N")[..8];
            if (!Directory.Exists(RunDirectory(key))) return key;
        }
    }

    /// <summary>The run's record, or null when it is gone or unreadable (a record is only ever replaced whole).</summary>
    public RunRecord? Read(string key)
    {
        if (!IsKey(key)) return null;
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(RunDirectory(key), "run.json")), RegistryJson.Default.RunRecord);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    public void Save(RunRecord record)
    {
        Directory.CreateDirectory(RunDirectory(record.Key));
        WriteAtomically(Path.Combine(RunDirectory(record.Key), "run.json"), JsonSerializer.Serialize(record, RegistryJson.Default.RunRecord));
    }

    /// <summary>Updates a record only if the run is still in the registry (another instance may have forgotten it).</summary>
    public void Update(RunRecord record)
    {
        try
        {
            if (Directory.Exists(RunDirectory(record.Key)))
                WriteAtomically(Path.Combine(RunDirectory(record.Key), "run.json"), JsonSerializer.Serialize(record, RegistryJson.Default.RunRecord));
        }
        catch (DirectoryNotFoundException)
        {
            // Forgotten meanwhile: nothing to update.
        }
    }

    /// <summary>What the wrapper wrote of itself: its pid, start time and boot id.</summary>
    public (int Pid, long StartTime, string BootId)? ReadWrapperPid(string key)
    {
        var parts = ReadText(key, "pid")?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts is { Length: >= 2 }
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var startTime)
            ? (pid, startTime, parts.Length > 2 ? parts[2] : "")
            : null;
    }

    /// <summary>The lease's run, if one was recorded; one with a process wins over a record that never got one.</summary>
    public RunRecord? FindRecord(string environmentKey, long token) =>
        Keys().Select(Read)
            .Where(r => r is not null && r.EnvironmentKey == environmentKey && r.FencingToken == token)
            .Select(r => Complete(r!))
            .OrderBy(r => r.RunId is null).ThenByDescending(r => r.CreatedUtc)
            .FirstOrDefault();

    /// <summary>
    /// Fills in a record whose starter died between the spawn and recording the pid, from the pid file the
    /// wrapper wrote itself. Whoever does this writes what the starter would have written.
    /// </summary>
    public RunRecord Complete(RunRecord record)
    {
        if (record.ProcessGroup is not null || ReadWrapperPid(record.Key) is not { } wrapper) return record;
        var completed = record with
        {
            RunId = RunRecord.IdOf(wrapper.Pid, record.Key), ProcessGroup = wrapper.Pid, StartTime = wrapper.StartTime,
            BootId = wrapper.BootId.Length > 0 ? wrapper.BootId : record.BootId,
        };
        Update(completed);
        LogRecordCompleted(completed.RunId, record.EnvironmentKey, wrapper.Pid);
        return completed;
    }

    public int? ReadExitCode(string key) =>
        int.TryParse(ReadText(key, "exit-code"), NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : null;

    /// <summary>Records the exit code the parent saw, unless the wrapper already wrote one (the command's own).</summary>
    public void SaveExitCodeIfMissing(string key, int exitCode)
    {
        var path = Path.Combine(RunDirectory(key), "exit-code");
        if (File.Exists(path) || !Directory.Exists(RunDirectory(key))) return;
        var temp = TempName(path);
        File.WriteAllText(temp, exitCode.ToString(CultureInfo.InvariantCulture) + "\n");
        try
        {
            File.Move(temp, path, overwrite: false); // link(2): never replaces the wrapper's file written meanwhile
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp);
        }
    }

    public bool ForceStopSent(string key) => File.Exists(Path.Combine(RunDirectory(key), "force-stop"));

    public void MarkForceStop(string key, DateTime nowUtc) =>
        WriteAtomically(Path.Combine(RunDirectory(key), "force-stop"), nowUtc.ToString("O", CultureInfo.InvariantCulture) + "\n");

    public void Delete(string key)
    {
        try
        {
            Directory.Delete(RunDirectory(key), recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Forgotten by another instance already.
        }
    }

    private string? ReadText(string key, string name)
    {
        try
        {
            return File.ReadAllText(Path.Combine(RunDirectory(key), name)).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Environment keys become file names: letters, digits, '-' and '_' stay, every other byte is %XX (no '/', no "..").</summary>
    private string TokenFile(string environmentKey)
    {
        var name = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(environmentKey))
        {
            if (b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9') or (byte)'-' or (byte)'_')
                name.Append((char)b);
            else
                name.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return Path.Combine(TokensDirectory, name.Length > 0 ? name.ToString() : "%");
    }

    /// <summary>Written to a temp file, flushed to disk, then renamed over the old one: readers see the old or the new text.</summary>
    private static void WriteAtomically(string path, string text)
    {
        var temp = TempName(path);
        using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            file.Write(Encoding.UTF8.GetBytes(text));
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    private static string TempName(string path) => $"{path}.{Guid.NewGuid():N}.tmp";

    private static bool IsKey(string? name) => name is { Length: 8 } && name.All(char.IsAsciiHexDigitLower);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} on {EnvironmentKey} was spawned as process group {ProcessGroup} but its starter died before recording it; recorded it from the wrapper's pid file")]
    private partial void LogRecordCompleted(string runId, string environmentKey, int processGroup);

    private sealed class Held(FileStream file, SemaphoreSlim gate) : IDisposable
    {
        public void Dispose()
        {
            file.Dispose(); // closing the descriptor releases the flock
            gate.Release();
        }
    }
}
