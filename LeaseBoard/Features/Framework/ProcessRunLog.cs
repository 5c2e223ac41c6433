using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace LeaseBoard.Features.Framework;

/// <summary>The last lines of a process's output, each cut to a readable length.</summary>
internal sealed class OutputTail(int capacity)
{
    private const int MaxLineLength = 500;
    private readonly Queue<string> _lines = new();
    private readonly Lock _gate = new();

    public void Add(string line)
    {
        lock (_gate)
        {
            _lines.Enqueue(line.Length > MaxLineLength ? line[..MaxLineLength] + "…" : line);
            while (_lines.Count > capacity) _lines.Dequeue();
        }
    }

    public string Text
    {
        get { lock (_gate) return string.Join('\n', _lines).Trim(); }
    }
}

/// <summary>
/// Follows a run's log file from the offset read last. A run watched from its start stamps new lines with the
/// clock's now when it reads them (the engine asks every few seconds). A run adopted after a restart reads
/// the whole file once; what it finds there happened before, so its last activity is the file's last write.
/// </summary>
internal sealed class RunLog(string path, int outputLines, bool watchedFromStart, DateTime startedUtc)
{
    private const int MaxLineBytes = 4096;
    private readonly OutputTail _tail = new(outputLines);
    private readonly List<byte> _partial = [];
    private long _offset;
    private bool _caughtUp = watchedFromStart;

    public int Progress { get; private set; }
    public DateTime LastActivityUtc { get; private set; } = startedUtc; // starting is the first sign of life
    public string Tail => _tail.Text;

    /// <summary>Reads what was appended; <paramref name="final"/> also takes a last line without a newline (the run is over).</summary>
    public void Read(DateTime nowUtc, bool final)
    {
        var lines = 0;
        long appended = 0;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (file.Length < _offset) _offset = 0; // replaced by someone: read it anew
            file.Seek(_offset, SeekOrigin.Begin);
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = file.Read(buffer)) > 0)
            {
                appended += read;
                var rest = buffer.AsSpan(0, read);
                for (var end = rest.IndexOf((byte)'\n'); end >= 0; end = rest.IndexOf((byte)'\n'))
                {
                    Append(rest[..end]);
                    OnLine();
                    lines++;
                    rest = rest[(end + 1)..];
                }
                Append(rest);
            }
            _offset += appended;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // No output yet, or the run was forgotten: nothing new.
        }
        if (final && _partial.Count > 0)
        {
            OnLine();
            lines++;
        }
        // Only newly written lines are signs of life; the first read of an adopted run finds older ones.
        if (lines > 0 && appended > 0) LastActivityUtc = _caughtUp ? nowUtc : LastWriteUtc();
        _caughtUp = true;
    }

    private DateTime LastWriteUtc()
    {
        var written = File.GetLastWriteTimeUtc(path);
        return written > LastActivityUtc ? written : LastActivityUtc;
    }

    /// <summary>Keeps the start of an endless line only: a status shows 500 characters of it at most.</summary>
    private void Append(ReadOnlySpan<byte> bytes)
    {
        var room = MaxLineBytes - _partial.Count;
        if (room > 0) _partial.AddRange(bytes.Length > room ? bytes[..room] : bytes);
    }

    private void OnLine()
    {
        var length = _partial.Count > 0 && _partial[^1] == (byte)'\r' ? _partial.Count - 1 : _partial.Count;
        var line = Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(_partial)[..length]);
        _partial.Clear();
        _tail.Add(line);
        if (ParseProgress(line) is { } progress) Progress = progress;
    }

    /// <summary>"PROGRESS 42" → 42; anything else (or out of 0-100) is just a heartbeat.</summary>
    private static int? ParseProgress(string line)
    {
        var text = line.AsSpan().Trim();
        if (!text.StartsWith("PROGRESS ", StringComparison.Ordinal)) return null;
        return int.TryParse(text["PROGRESS ".Length..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var percent) && percent <= 100
            ? percent
            : null;
    }
}
