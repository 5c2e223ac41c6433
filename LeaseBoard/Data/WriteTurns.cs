using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Data;

/// <summary>
/// SQLite has one writer at a time. Writers that meet at <c>BEGIN IMMEDIATE</c> wait in Microsoft.Data.Sqlite's
/// busy loop, which puts a thread to sleep between tries, so a burst of contenders on the booking path pays
/// sleeps, not commits. Guarded writers therefore take turns here first, queued in this process; other writers
/// (the lease engine, notifications) still meet SQLite's own lock, which is rare and short. On SQL Server
/// there is no turn to take: its row locks queue contenders themselves, across instances.
/// </summary>
public sealed class WriteTurns
{
    private readonly SemaphoreSlim _turn = new(1, 1);

    /// <summary>Whether a writer holds its turn now (always false on other providers, which take no turns).</summary>
    public bool Busy(DbContext db) => _turn.CurrentCount == 0 && db.Database.IsSqlite();

    /// <summary>Waits for this writer's turn on SQLite (dispose to end it); null on other providers.</summary>
    public async ValueTask<IDisposable?> TakeAsync(DbContext db, CancellationToken ct)
    {
        if (!db.Database.IsSqlite()) return null;
        await _turn.WaitAsync(ct);
        return new Turn(_turn);
    }

    /// <summary>
    /// One unit of writes in its turn and in one transaction (one commit), on a fresh context per attempt, retried whole
    /// by the provider's execution strategy.
    /// </summary>
    public async Task InTransactionAsync(IDbContextFactory<LeaseBoardDb> dbs, Func<LeaseBoardDb, CancellationToken, Task> write, CancellationToken ct)
    {
        await using var strategyDb = await dbs.CreateDbContextAsync(ct);
        await strategyDb.Database.CreateExecutionStrategy().ExecuteAsync(async token =>
        {
            await using var db = await dbs.CreateDbContextAsync(token);
            using var turn = await TakeAsync(db, token);
            await using var transaction = await db.Database.BeginTransactionAsync(token);
            await write(db, token);
            await transaction.CommitAsync(token);
        }, ct);
    }

    private sealed class Turn(SemaphoreSlim turn) : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0) turn.Release();
        }
    }
}
