using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.LiveUpdates;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Features.Tokens;

public sealed record ApiTokenRow(int Id, string Name, ApiScope Scope, string Prefix, DateTime CreatedUtc, DateTime ExpiresUtc, DateTime? RevokedUtc, DateTime? LastUsedUtc,
    string OwnerId = "", string OwnerName = "");

/// <summary>The secret is shown once, in <see cref="Token"/>; it is never stored.</summary>
public sealed record CreatedApiToken(ApiTokenRow Row, string Token);

/// <summary>
/// Creates, lists, revokes and checks personal access tokens (<c>lb_&lt;prefix&gt;_&lt;secret&gt;</c>).
/// A token found valid is remembered for <see cref="RecheckAfter"/>, so an API call does not pay a database
/// round trip for its token: a revocation forgets it at once, here and (through the board events' relay) on
/// every other instance; the recheck bounds anything else that changes a token row behind our back.
/// </summary>
public sealed class ApiTokenService : IDisposable
{
    public const int MaxLifetimeDays = 365;
    public static readonly TimeSpan RecheckAfter = TimeSpan.FromSeconds(30);

    private readonly IDbContextFactory<LeaseBoardDb> dbs;
    private readonly TimeProvider clock;
    private readonly BoardEvents events;
    private readonly WriteTurns turns;
    private readonly ConcurrentDictionary<string, Validated> _validated = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, DateTime> _uses = new();
    private readonly IDisposable _revocations;

    /// <summary>A token row found valid at <paramref name="CheckedUtc"/>.</summary>
    private sealed record Validated(ApiToken Token, DateTime CheckedUtc);

    public ApiTokenService(IDbContextFactory<LeaseBoardDb> dbs, TimeProvider clock, BoardEvents events, WriteTurns turns)
    {
        this.dbs = dbs;
        this.turns = turns;
        this.clock = clock;
        this.events = events;
        _revocations = events.Subscribe(e =>
        {
            if (e is ApiTokenRevoked revoked) _validated.TryRemove(revoked.Prefix, out _);
            return Task.CompletedTask;
        });
    }

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    public async Task<(CreatedApiToken? Created, string? Error)> CreateAsync(Actor owner, string name, ApiScope scope, int lifetimeDays, CancellationToken ct = default)
    {
        name = name?.Trim() ?? "";
        if (name.Length is 0 or > 100) return (null, "Give the token a name of 1 to 100 characters, e.g. the pipeline that uses it.");
        if (lifetimeDays is < 1 or > MaxLifetimeDays) return (null, $"A token lives 1 to {MaxLifetimeDays} days.");
        if (scope == ApiScope.Admin && !owner.IsAdmin) return (null, "Only admins can make an admin token; choose read or book.");
        if (!Enum.IsDefined(scope)) return (null, "Choose a scope: read, book or calendar feed only.");

        var prefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5));
        var token = $"lb_{prefix}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))}";
        var row = new ApiToken
        {
            OwnerId = owner.Id, OwnerName = owner.DisplayName, OwnerIsAdmin = scope == ApiScope.Admin, Name = name, Scope = scope,
            Prefix = prefix, SecretHash = Hash(token),
            CreatedUtc = Now, ExpiresUtc = Now.AddDays(lifetimeDays),
        };
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.ApiTokens.Add(row);
        db.AuditEntries.Add(AuditEntry.For(owner, AuditActions.TokenCreated, $"Token '{name}' ({prefix}, {scope}) until {row.ExpiresUtc:yyyy-MM-dd}.", clock));
        await db.SaveChangesAsync(ct);
        return (new CreatedApiToken(ToRow(row), token), null);
    }

    public async Task<List<ApiTokenRow>> ListAsync(Actor owner, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return (await db.ApiTokens.AsNoTracking().Where(t => t.OwnerId == owner.Id).OrderByDescending(t => t.CreatedUtc).ToListAsync(ct))
            .Select(ToRow).ToList();
    }

    /// <summary>Every person's tokens, for an admin (nobody else sees them).</summary>
    public async Task<List<ApiTokenRow>> ListAllAsync(Actor admin, CancellationToken ct = default)
    {
        if (!admin.IsAdmin) return [];
        await using var db = await dbs.CreateDbContextAsync(ct);
        return (await db.ApiTokens.AsNoTracking().OrderBy(t => t.OwnerName).ThenByDescending(t => t.CreatedUtc).ToListAsync(ct))
            .Select(ToRow).ToList();
    }

    /// <summary>The owner revokes their own token; an admin may revoke anyone's.</summary>
    public async Task<bool> RevokeAsync(Actor actor, int tokenId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var token = await db.ApiTokens.FirstOrDefaultAsync(t => t.Id == tokenId && (t.OwnerId == actor.Id || actor.IsAdmin) && t.RevokedUtc == null, ct);
        if (token is null) return false;
        token.RevokedUtc = Now;
        var whose = token.OwnerId == actor.Id ? "" : $" of {token.OwnerName} ({token.OwnerId})";
        db.AuditEntries.Add(AuditEntry.For(actor, AuditActions.TokenRevoked, $"Token '{token.Name}' ({token.Prefix}){whose} revoked.", clock));
        await db.SaveChangesAsync(ct);
        _validated.TryRemove(token.Prefix, out _);
        events.Publish(new ApiTokenRevoked(token.Prefix));
        return true;
    }

    /// <summary>
    /// An admin token opens the admin operations only while its owner is still an admin: the role recorded at
    /// the owner's latest sign-in (the People table), so a role taken away ends the token's admin rights at
    /// the next sign-in, whatever the token's expiry.
    /// </summary>
    public async Task<bool> GrantsAdminAsync(ApiToken token, CancellationToken ct = default)
    {
        if (token.Scope != ApiScope.Admin) return false;
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.People.AsNoTracking().AnyAsync(p => p.Id == token.OwnerId && p.IsAdmin, ct);
    }

    /// <summary>The token's row when it is valid now (known, matching, not revoked, not expired); records its use to the minute.</summary>
    public async Task<ApiToken?> ValidateAsync(string presented, CancellationToken ct = default)
    {
        var parts = presented.Split('_');
        if (parts is not ["lb", { Length: 10 } prefix, { Length: > 0 }]) return null;
        var hash = Hash(presented);
        var now = Now;
        if (_validated.TryGetValue(prefix, out var known) && now - known.CheckedUtc < RecheckAfter)
        {
            if (!CryptographicOperations.FixedTimeEquals(known.Token.SecretHash, hash) || known.Token.ExpiresUtc <= now) return null;
            RecordUse(known.Token, now);
            return known.Token;
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        var token = await db.ApiTokens.AsNoTracking().FirstOrDefaultAsync(t => t.Prefix == prefix, ct);
        if (token is null || !CryptographicOperations.FixedTimeEquals(token.SecretHash, hash)) return null;
        if (token.RevokedUtc is not null || token.ExpiresUtc <= now)
        {
            _validated.TryRemove(prefix, out _);
            return null;
        }
        RecordUse(token, now);
        _validated[prefix] = new Validated(token, now);
        return token;
    }

    /// <summary>
    /// Remembers the tokens used in the last day as just checked (at most <paramref name="limit"/>, the most recently used
    /// first), so that the pipelines calling when an instance comes back from a restart do not each pay a lookup in the same
    /// second. A revocation still forgets one at once; the recheck after <see cref="RecheckAfter"/> applies as to any other.
    /// Returns how many it remembered.
    /// </summary>
    public async Task<int> RememberRecentlyUsedAsync(int limit, CancellationToken ct = default)
    {
        var now = Now;
        var since = now.AddDays(-1);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var recent = await db.ApiTokens.AsNoTracking()
            .Where(t => t.RevokedUtc == null && t.ExpiresUtc > now && t.LastUsedUtc >= since)
            .OrderByDescending(t => t.LastUsedUtc).Take(limit).ToListAsync(ct);
        foreach (var token in recent) _validated.TryAdd(token.Prefix, new Validated(token, now));
        return recent.Count;
    }

    /// <summary>The statements of a token's first use after a start (its lookup, its last-use write), on rows that do not exist.</summary>
    public async Task RehearseAsync(CancellationToken ct = default)
    {
        await ValidateAsync("lb_0000000000_rehearsal", ct);
        await using var db = await dbs.CreateDbContextAsync(ct);
        await db.ApiTokens.Where(t => t.Id == 0).ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedUtc, Now), ct);
    }

    /// <summary>
    /// Last use is kept to the minute, and off the caller's path: the use is noted in memory and written by the next
    /// <see cref="WriteUsesAsync"/> (every few seconds, and at shutdown), all pending uses in one transaction. A burst of
    /// pipelines after a restart would otherwise queue one commit each for SQLite's writer, ahead of their bookings.
    /// </summary>
    private void RecordUse(ApiToken token, DateTime now)
    {
        if (token.LastUsedUtc is { } used && now - used <= TimeSpan.FromMinutes(1)) return;
        token.LastUsedUtc = now;
        _uses[token.Id] = now;
    }

    /// <summary>Writes the uses noted since the last call, in the bookings' queue for the writer; returns how many.</summary>
    public async Task<int> WriteUsesAsync(CancellationToken ct = default)
    {
        if (_uses.IsEmpty) return 0;
        var pending = new List<KeyValuePair<int, DateTime>>();
        foreach (var id in _uses.Keys)
            if (_uses.TryRemove(id, out var at)) pending.Add(new(id, at));
        try
        {
            // In the bookings' queue for SQLite's writer: meeting a booking's transaction at the lock would cost the
            // booking Microsoft.Data.Sqlite's busy sleep.
            await turns.InTransactionAsync(dbs, async (db, token) =>
            {
                foreach (var (id, at) in pending)
                    await db.ApiTokens.Where(t => t.Id == id).ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedUtc, at), token);
            }, ct);
            return pending.Count;
        }
        catch
        {
            foreach (var (id, at) in pending) _uses.TryAdd(id, at); // tried again next time, unless a newer use came in
            throw;
        }
    }

    public void Dispose() => _revocations.Dispose();

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private static ApiTokenRow ToRow(ApiToken t) => new(t.Id, t.Name, t.Scope, t.Prefix, t.CreatedUtc, t.ExpiresUtc, t.RevokedUtc, t.LastUsedUtc, t.OwnerId, t.OwnerName);
}
