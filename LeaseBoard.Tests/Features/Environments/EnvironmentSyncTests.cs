using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Environments;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LeaseBoard.Tests.Features.Environments;

/// <summary>Start-up sync of the environment list from configuration into the database.</summary>
public sealed class EnvironmentSyncTests
{
    private static readonly FakeTimeProvider Clock = new(BookingHarness.DefaultNow);

    private static EnvironmentDefinition Env(string key, string name, string description = "") => new() { Key = key, Name = name, Description = description };

    private static Task SyncAsync(TestDatabase database, params EnvironmentDefinition[] configured) =>
        new EnvironmentSync(database, Options.Create(new EnvironmentOptions { Environments = [.. configured] }), Clock, NullLogger<EnvironmentSync>.Instance)
            .SyncAsync(CancellationToken.None);

    private static async Task<List<TestEnvironment>> AllAsync(TestDatabase database)
    {
        await using var db = database.CreateDbContext();
        return await db.Environments.AsNoTracking().OrderBy(e => e.Key).ToListAsync();
    }

    private static async Task<List<AuditEntry>> AuditAsync(TestDatabase database)
    {
        await using var db = database.CreateDbContext();
        return await db.AuditEntries.AsNoTracking().OrderBy(a => a.Id).ToListAsync();
    }

    [Fact]
    public async Task Syncing_an_empty_database_adds_every_configured_environment_in_order()
    {
        await using var database = await TestDatabase.CreateAsync(environments: 0);

        await SyncAsync(database, Env("env-b", "Bravo", "16 cores"), Env("env-a", "Alpha", "64 GiB"));

        var all = await AllAsync(database);
        Assert.Equal(
            [("env-a", "Alpha", "64 GiB", 1, EnvironmentState.Available), ("env-b", "Bravo", "16 cores", 0, EnvironmentState.Available)],
            all.Select(e => (e.Key, e.Name, e.Description, e.SortOrder, e.State)));
    }

    [Fact]
    public async Task Syncing_again_updates_names_descriptions_and_order_and_keeps_the_rows()
    {
        await using var database = await TestDatabase.CreateAsync(environments: 0);
        await SyncAsync(database, Env("env-1", "Env 1"), Env("env-2", "Env 2"));
        var before = await AllAsync(database);

        await SyncAsync(database, Env("env-2", "Chaos rig", "network faults"), Env("env-1", "General", "16 cores"));

        var after = await AllAsync(database);
        Assert.Equal(before.Select(e => (e.Key, e.Id)), after.Select(e => (e.Key, e.Id)));
        Assert.Equal(
            [("env-1", "General", "16 cores", 1), ("env-2", "Chaos rig", "network faults", 0)],
            after.Select(e => (e.Key, e.Name, e.Description, e.SortOrder)));
        Assert.Empty(await AuditAsync(database));
    }

    [Fact]
    public async Task Syncing_unchanged_configuration_changes_nothing()
    {
        await using var database = await TestDatabase.CreateAsync(environments: 0);
        await SyncAsync(database, Env("env-1", "Env 1"), Env("env-2", "Env 2"));
        var before = await AllAsync(database);

        await SyncAsync(database, Env("env-1", "Env 1"), Env("env-2", "Env 2"));

        var after = await AllAsync(database);
        Assert.Equal(before.Select(e => (e.Id, e.Key, e.Name, e.SortOrder, e.State, e.Version)),
            after.Select(e => (e.Id, e.Key, e.Name, e.SortOrder, e.State, e.Version)));
    }

    [Fact]
    public async Task A_key_no_longer_configured_is_retired_with_an_audit_entry_and_its_history_kept()
    {
        await using var database = await TestDatabase.CreateAsync(environments: 0);
        await SyncAsync(database, Env("env-1", "Env 1"), Env("env-2", "Env 2"), Env("env-3", "Env 3"));
        var env3 = (await AllAsync(database)).Single(e => e.Key == "env-3");
        var past = await new ReservationBuilder(env3.Id, BookingHarness.DefaultNow.UtcDateTime.AddDays(-1), BookingHarness.DefaultNow.UtcDateTime.AddDays(-1).AddHours(1))
            .InState(ReservationState.Completed).SaveAsync(database);

        await SyncAsync(database, Env("env-1", "Env 1"), Env("env-2", "Env 2"));

        var retired = (await AllAsync(database)).Single(e => e.Key == "env-3");
        Assert.Equal((env3.Id, EnvironmentState.Retired, int.MaxValue), (retired.Id, retired.State, retired.SortOrder));
        var audit = Assert.Single(await AuditAsync(database));
        Assert.Equal((AuditActions.EnvironmentRetired, Actor.System.Id, (int?)env3.Id, BookingHarness.DefaultNow.UtcDateTime),
            (audit.Action, audit.Actor, audit.EnvironmentId, audit.AtUtc));
        Assert.Equal("env-3 is no longer in configuration.", audit.Details);
        Assert.Equal(env3.Id, (await database.ReservationAsync(past.Id)).EnvironmentId);
    }

    [Fact]
    public async Task A_retired_environment_is_retired_and_audited_only_once()
    {
        await using var database = await TestDatabase.CreateAsync(environments: 0);
        await SyncAsync(database, Env("env-1", "Env 1"), Env("env-2", "Env 2"));

        await SyncAsync(database, Env("env-1", "Env 1"));
        await SyncAsync(database, Env("env-1", "Env 1"));

        Assert.Single(await AuditAsync(database), a => a.Action == AuditActions.EnvironmentRetired);
    }

    [Fact]
    public async Task A_retired_key_configured_again_comes_back_with_its_history_and_the_return_is_audited()
    {
        await using var database = await TestDatabase.CreateAsync(environments: 0);
        await SyncAsync(database, Env("env-1", "Env 1"), Env("env-2", "Env 2"));
        var env2 = (await AllAsync(database)).Single(e => e.Key == "env-2");
        await SyncAsync(database, Env("env-1", "Env 1"));

        await SyncAsync(database, Env("env-2", "Env 2 (rebuilt)"), Env("env-1", "Env 1"));

        var back = (await AllAsync(database)).Single(e => e.Key == "env-2");
        Assert.Equal((env2.Id, EnvironmentState.Available, "Env 2 (rebuilt)", 0), (back.Id, back.State, back.Name, back.SortOrder));
        var audit = await AuditAsync(database);
        Assert.Equal([AuditActions.EnvironmentRetired, AuditActions.EnvironmentRestored], audit.Select(a => a.Action));
        Assert.All(audit, a => Assert.Equal(env2.Id, a.EnvironmentId));
    }

    [Fact]
    public async Task A_quarantined_environment_still_configured_stays_quarantined()
    {
        await using var database = await TestDatabase.CreateAsync(environments: 0);
        await SyncAsync(database, Env("env-1", "Env 1"));
        var env1 = Assert.Single(await AllAsync(database));
        await database.SetEnvironmentStateAsync(env1.Id, EnvironmentState.Quarantined, "reset failed");

        await SyncAsync(database, Env("env-1", "Env 1"));

        var after = Assert.Single(await AllAsync(database));
        Assert.Equal((EnvironmentState.Quarantined, "reset failed"), (after.State, after.QuarantineReason));
    }

    [SkippableTheory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.SqlServer)]
    public async Task Sync_adds_renames_retires_and_restores_on_each_provider(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, environments: 0);

        await SyncAsync(database, Env("env-1", "Env 1"), Env("env-2", "Env 2"));
        await SyncAsync(database, Env("env-2", "Renamed"));
        await SyncAsync(database, Env("env-2", "Renamed"), Env("env-1", "Env 1"));

        Assert.Equal([("env-1", EnvironmentState.Available, 1), ("env-2", EnvironmentState.Available, 0)],
            (await AllAsync(database)).Select(e => (e.Key, e.State, e.SortOrder)));
        Assert.Equal(2, (await AuditAsync(database)).Count);
    }
}
