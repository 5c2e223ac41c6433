using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Features.Tokens;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace LeaseBoard.Tests.Features.Tokens;

/// <summary>A valid token is remembered so API calls skip its lookup; nothing that ends a token waits for the memory to fade.</summary>
public sealed class TokenValidationCacheTests : IAsyncLifetime
{
    private static readonly Actor Owner = new("local:cached", "Cached Token", IsAdmin: false);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly BoardEvents _events = new(NullLogger<BoardEvents>.Instance);
    private TestDatabase _database = null!;
    private ApiTokenService _tokens = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        _tokens = new ApiTokenService(_database, _clock, _events, new WriteTurns());
    }

    public async Task DisposeAsync()
    {
        _tokens.Dispose();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task A_revocation_on_another_instance_is_honoured_as_soon_as_its_event_arrives()
    {
        var created = await CreateAsync();
        Assert.NotNull(await _tokens.ValidateAsync(created.Token));

        // Instance B revokes: the row changes in the shared database and B's event arrives through the relay.
        await RevokeInDatabaseAsync(created.Row.Id);
        Assert.NotNull(await _tokens.ValidateAsync(created.Token)); // still remembered: the cache is real
        _events.Publish(new ApiTokenRevoked(created.Row.Prefix) { Origin = "instance-b" });

        Assert.Null(await _tokens.ValidateAsync(created.Token));
    }

    [Fact]
    public async Task A_revocation_here_is_honoured_at_once_and_a_changed_row_within_the_recheck_interval()
    {
        var revokedHere = await CreateAsync();
        Assert.NotNull(await _tokens.ValidateAsync(revokedHere.Token));
        Assert.True(await _tokens.RevokeAsync(Owner, revokedHere.Row.Id));
        Assert.Null(await _tokens.ValidateAsync(revokedHere.Token));

        var changedBehindOurBack = await CreateAsync();
        Assert.NotNull(await _tokens.ValidateAsync(changedBehindOurBack.Token));
        await RevokeInDatabaseAsync(changedBehindOurBack.Row.Id);
        _clock.Advance(ApiTokenService.RecheckAfter);
        Assert.Null(await _tokens.ValidateAsync(changedBehindOurBack.Token));
    }

    [Fact]
    public async Task A_remembered_token_is_refused_once_it_expires_or_with_a_wrong_secret()
    {
        var created = await CreateAsync(lifetimeDays: 1);
        Assert.NotNull(await _tokens.ValidateAsync(created.Token));

        Assert.Null(await _tokens.ValidateAsync(created.Token[..^1] + (created.Token[^1] == '0' ? '1' : '0')));
        _clock.Advance(TimeSpan.FromDays(1));
        Assert.Null(await _tokens.ValidateAsync(created.Token));
    }

    [Fact]
    public async Task Last_use_is_still_recorded_to_the_minute()
    {
        var created = await CreateAsync();
        await _tokens.ValidateAsync(created.Token);
        _clock.Advance(TimeSpan.FromMinutes(2));
        await _tokens.ValidateAsync(created.Token);

        Assert.Equal(1, await _tokens.WriteUsesAsync());
        Assert.Equal(_clock.GetUtcNow().UtcDateTime, (await _tokens.ListAsync(Owner)).Single(t => t.Id == created.Row.Id).LastUsedUtc);
        Assert.Equal(0, await _tokens.WriteUsesAsync()); // within the minute nothing new to write
    }

    [Fact]
    public async Task The_writer_writes_last_uses_every_interval_and_what_is_left_when_the_app_stops()
    {
        var created = await CreateAsync();
        using var writer = new TokenUseWriter(_tokens, _clock, NullLogger<TokenUseWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);

        await _tokens.ValidateAsync(created.Token);
        var first = _clock.GetUtcNow().UtcDateTime;
        Assert.Null(await LastUsedAsync(created.Row.Id)); // noted, not yet written: the call did not wait for a write
        _clock.Advance(TokenUseWriter.Interval);
        await Eventually.MatchesAsync(() => LastUsedAsync(created.Row.Id), used => used == first, TimeSpan.FromSeconds(10), "the tick wrote the last use");

        _clock.Advance(TimeSpan.FromMinutes(2) - TokenUseWriter.Interval / 2); // the next use is a new minute, between ticks
        await _tokens.ValidateAsync(created.Token);
        await writer.StopAsync(CancellationToken.None);
        Assert.Equal(_clock.GetUtcNow().UtcDateTime, await LastUsedAsync(created.Row.Id));
    }

    [Fact]
    public async Task After_a_restart_the_tokens_used_in_the_last_day_are_remembered_and_no_others()
    {
        var recent = await CreateAsync();
        var old = await CreateAsync();
        var revoked = await CreateAsync();
        var neverUsed = await CreateAsync();
        await _tokens.ValidateAsync(old.Token);
        await _tokens.WriteUsesAsync();
        _clock.Advance(TimeSpan.FromDays(2));
        await _tokens.ValidateAsync(recent.Token);
        await _tokens.ValidateAsync(revoked.Token);
        await _tokens.WriteUsesAsync();
        Assert.True(await _tokens.RevokeAsync(Owner, revoked.Row.Id));

        // A new instance (a restart) on the same database remembers only the token used in the last day.
        using var restarted = new ApiTokenService(_database, _clock, _events, new WriteTurns());
        Assert.Equal(1, await restarted.RememberRecentlyUsedAsync(limit: 100));
        foreach (var token in new[] { recent, old, neverUsed }) await RevokeInDatabaseAsync(token.Row.Id); // behind its back
        Assert.NotNull(await restarted.ValidateAsync(recent.Token)); // remembered: no lookup
        Assert.Null(await restarted.ValidateAsync(old.Token));
        Assert.Null(await restarted.ValidateAsync(neverUsed.Token));
        Assert.Null(await restarted.ValidateAsync(revoked.Token));
    }

    private async Task<DateTime?> LastUsedAsync(int tokenId)
    {
        await using var db = await _database.CreateDbContextAsync();
        return await db.ApiTokens.Where(t => t.Id == tokenId).Select(t => t.LastUsedUtc).SingleAsync();
    }

    private async Task<CreatedApiToken> CreateAsync(int lifetimeDays = 30)
    {
        var (created, error) = await _tokens.CreateAsync(Owner, "cache", ApiScope.Book, lifetimeDays);
        Assert.True(created is not null, error);
        return created;
    }

    private async Task RevokeInDatabaseAsync(int tokenId)
    {
        await using var db = await _database.CreateDbContextAsync();
        await db.ApiTokens.Where(t => t.Id == tokenId).ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedUtc, _clock.GetUtcNow().UtcDateTime));
    }
}
