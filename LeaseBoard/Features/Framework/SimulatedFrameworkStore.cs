using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace LeaseBoard.Features.Framework;

/// <summary>
/// The simulated framework's own memory: a small SQLite file of its runs, the newest fencing token per
/// environment and the faults injected at run time. It stands for the state a real framework keeps on its
/// own servers, so it outlives LeaseBoard's process and is shared by every LeaseBoard instance that points
/// at it. LeaseBoard's own code never reads it; only <see cref="SimulatedTestFramework"/> does.
/// </summary>
internal sealed class SimulatedFrameworkStore
{
    private const string Schema = """
        PRAGMA journal_mode=WAL;
        CREATE TABLE IF NOT EXISTS runs (
            id TEXT PRIMARY KEY,
            environment TEXT NOT NULL,
            token INTEGER NOT NULL,
            started_ticks INTEGER NOT NULL,
            length_ticks INTEGER NOT NULL,
            hang_at INTEGER NULL,
            crash_at INTEGER NULL,
            outcome_phase INTEGER NULL,
            outcome_progress INTEGER NULL,
            outcome_ticks INTEGER NULL,
            outcome_detail TEXT NULL,
            UNIQUE (environment, token));
        CREATE TABLE IF NOT EXISTS tokens (environment TEXT PRIMARY KEY, newest INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS faults (environment TEXT PRIMARY KEY, profile TEXT NOT NULL);
        """;

    private const string RunColumns = "id, environment, token, started_ticks, length_ticks, hang_at, crash_at, outcome_phase, outcome_progress, outcome_ticks, outcome_detail";

    private readonly string _connectionString;
    private readonly Lazy<bool> _created;

    public SimulatedFrameworkStore(string path)
    {
        var full = Path.GetFullPath(path);
        FilePath = full;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = full, DefaultTimeout = 30, Pooling = true }.ToString();
        _created = new Lazy<bool>(Create, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string FilePath { get; }

    public sealed record StoredRun(
        string Id, string EnvironmentKey, long FencingToken, DateTime StartedUtc, TimeSpan Length, int? HangAtPercent, int? CrashAtPercent,
        RunStatus? Outcome);

    /// <summary>Runs <paramref name="work"/> in one write transaction: of two LeaseBoard instances, one waits for the other.</summary>
    public T Write<T>(Func<SqliteConnection, T> work)
    {
        using var connection = Open();
        using (var begin = connection.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            begin.ExecuteNonQuery();
        }
        try
        {
            var result = work(connection);
            Execute(connection, "COMMIT");
            return result;
        }
        catch
        {
            Execute(connection, "ROLLBACK");
            throw;
        }
    }

    public T Read<T>(Func<SqliteConnection, T> work)
    {
        using var connection = Open();
        return work(connection);
    }

    public static long? NewestToken(SqliteConnection connection, string environmentKey) =>
        Scalar(connection, "SELECT newest FROM tokens WHERE environment = $e", ("$e", environmentKey)) is long newest ? newest : null;

    public static void SetNewestToken(SqliteConnection connection, string environmentKey, long token) =>
        Execute(connection, "INSERT INTO tokens (environment, newest) VALUES ($e, $t) ON CONFLICT (environment) DO UPDATE SET newest = excluded.newest",
            ("$e", environmentKey), ("$t", token));

    public static StoredRun? RunByToken(SqliteConnection connection, string environmentKey, long token) =>
        Runs(connection, "WHERE environment = $e AND token = $t", ("$e", environmentKey), ("$t", token)).FirstOrDefault();

    public static StoredRun? Run(SqliteConnection connection, string id) =>
        Runs(connection, "WHERE id = $id", ("$id", id)).FirstOrDefault();

    /// <summary>Runs without a recorded outcome: running, or finished by time alone (succeeded or crashed), which the caller works out.</summary>
    public static List<StoredRun> OpenRuns(SqliteConnection connection, string? environmentKey = null) => environmentKey is null
        ? Runs(connection, "WHERE outcome_phase IS NULL")
        : Runs(connection, "WHERE outcome_phase IS NULL AND environment = $e", ("$e", environmentKey));

    public static void Insert(SqliteConnection connection, StoredRun run) =>
        Execute(connection, $"INSERT INTO runs ({RunColumns}) VALUES ($id, $e, $t, $s, $l, $h, $c, NULL, NULL, NULL, NULL)",
            ("$id", run.Id), ("$e", run.EnvironmentKey), ("$t", run.FencingToken), ("$s", run.StartedUtc.Ticks), ("$l", run.Length.Ticks),
            ("$h", run.HangAtPercent), ("$c", run.CrashAtPercent));

    public static void SetHangAt(SqliteConnection connection, string id, int percent) =>
        Execute(connection, "UPDATE runs SET hang_at = $h WHERE id = $id", ("$id", id), ("$h", percent));

    /// <summary>Records how a run ended, unless it already has an ending (the first one stands).</summary>
    public static void Finish(SqliteConnection connection, string id, RunStatus outcome) =>
        Execute(connection, "UPDATE runs SET outcome_phase = $p, outcome_progress = $g, outcome_ticks = $at, outcome_detail = $d WHERE id = $id AND outcome_phase IS NULL",
            ("$id", id), ("$p", (int)outcome.Phase), ("$g", outcome.ProgressPercent), ("$at", outcome.LastActivityUtc?.Ticks), ("$d", outcome.Detail));

    /// <summary>Forgets runs that started before <paramref name="cutoffUtc"/>; tokens stay, so stale ones are still refused.</summary>
    public static int Prune(SqliteConnection connection, DateTime cutoffUtc) =>
        Execute(connection, "DELETE FROM runs WHERE started_ticks < $c", ("$c", cutoffUtc.Ticks));

    public static FaultProfile? Faults(SqliteConnection connection, string environmentKey) =>
        Scalar(connection, "SELECT profile FROM faults WHERE environment = $e", ("$e", environmentKey)) is string json
            ? JsonSerializer.Deserialize<FaultProfile>(json)
            : null;

    public static void SetFaults(SqliteConnection connection, string environmentKey, FaultProfile faults) =>
        Execute(connection, "INSERT INTO faults (environment, profile) VALUES ($e, $p) ON CONFLICT (environment) DO UPDATE SET profile = excluded.profile",
            ("$e", environmentKey), ("$p", JsonSerializer.Serialize(faults)));

    private SqliteConnection Open()
    {
        _ = _created.Value;
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private bool Create()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, Schema);
        return true;
    }

    private static List<StoredRun> Runs(SqliteConnection connection, string where, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, $"SELECT {RunColumns} FROM runs {where} ORDER BY started_ticks", parameters);
        using var reader = command.ExecuteReader();
        var runs = new List<StoredRun>();
        while (reader.Read())
        {
            RunStatus? outcome = reader.IsDBNull(7)
                ? null
                : new RunStatus((RunPhase)reader.GetInt32(7), reader.GetInt32(8),
                    reader.IsDBNull(9) ? null : new DateTime(reader.GetInt64(9), DateTimeKind.Utc), reader.IsDBNull(10) ? null : reader.GetString(10));
            runs.Add(new StoredRun(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), new DateTime(reader.GetInt64(3), DateTimeKind.Utc),
                TimeSpan.FromTicks(reader.GetInt64(4)), reader.IsDBNull(5) ? null : reader.GetInt32(5), reader.IsDBNull(6) ? null : reader.GetInt32(6), outcome));
        }
        return runs;
    }

    private static object? Scalar(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteScalar();
    }

    private static int Execute(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }
}
