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

        Assert.Equal(_clock.GetUtcNow().UtcDateTime, (await _tokens.ListAsync(Owner)).Single(t => t.Id == created.Row.Id).LastUsedUtc);
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
