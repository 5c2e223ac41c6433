using LeaseBoard.Data;
using LeaseBoard.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Environments;

/// <summary>
/// Makes the database's environments match configuration: new keys are added, known keys get the
/// configured name and order, keys no longer configured are retired (their history stays).
/// </summary>
public sealed partial class EnvironmentSync(
    IDbContextFactory<LeaseBoardDb> dbs, IOptions<EnvironmentOptions> options, TimeProvider clock, ILogger<EnvironmentSync> logger)
{
    public async Task SyncAsync(CancellationToken ct)
    {
        var configured = options.Value.Environments;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var existing = await db.Environments.ToDictionaryAsync(e => e.Key, ct);
        var now = clock.GetUtcNow().UtcDateTime;

        foreach (var (definition, order) in configured.Select((d, i) => (d, i)))
        {
            if (!existing.TryGetValue(definition.Key, out var environment))
            {
                environment = new TestEnvironment { Key = definition.Key, Name = definition.Name };
                db.Environments.Add(environment);
                LogAdded(definition.Key);
            }
            else if (environment.State == EnvironmentState.Retired)
            {
                environment.State = EnvironmentState.Available;
                db.AuditEntries.Add(AuditEntry.For(Actor.System, AuditActions.EnvironmentRestored,
                    $"{environment.Key} is configured again and returns from retirement.", clock, environment.Id));
                LogRestored(definition.Key);
            }
            environment.Name = definition.Name;
            environment.Description = definition.Description;
            environment.SortOrder = order;
        }

        var configuredKeys = configured.Select(d => d.Key).ToHashSet();
        foreach (var retired in existing.Values.Where(e => !configuredKeys.Contains(e.Key) && e.State != EnvironmentState.Retired))
        {
            retired.State = EnvironmentState.Retired;
            retired.SortOrder = int.MaxValue;
            db.AuditEntries.Add(AuditEntry.For(Actor.System, AuditActions.EnvironmentRetired, $"{retired.Key} is no longer in configuration.", clock, retired.Id));
            LogRetired(retired.Key);
        }

        await db.SaveChangesAsync(ct);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Environment {Key} added from configuration")]
    private partial void LogAdded(string key);

    [LoggerMessage(Level = LogLevel.Information, Message = "Environment {Key} is configured again and returns from retirement")]
    private partial void LogRestored(string key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Environment {Key} is no longer configured and is retired")]
    private partial void LogRetired(string key);
}
