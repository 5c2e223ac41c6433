using System.Net;
using System.Security.Claims;
using LeaseBoard.Domain;
using LeaseBoard.Features.Api;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Tokens;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace LeaseBoard.Tests.Host;

/// <summary>Behind a reverse proxy: forwarded headers count from the configured proxies only, and the rate limits count callers, not the proxy.</summary>
public sealed class ForwardedHeadersTests
{
    private static LeaseBoardAppFactory Behind(string? knownProxy) => new(settings: knownProxy is null
        ? new Dictionary<string, string?>()
        : new Dictionary<string, string?> { ["LeaseBoard:ForwardedHeaders:KnownProxies:0"] = knownProxy });

    private static async Task<string> FeedAsync(LeaseBoardAppFactory app, Uri address)
    {
        await BoardScenario.ScheduleNowAsync(app.Services, "env-1", "Linked"); // each event carries the link back
        var (created, error) = await app.Services.GetRequiredService<ApiTokenService>().CreateAsync(TestActors.Ana, "feed", ApiScope.Feed, 30);
        Assert.True(created is not null, error);
        using var http = new HttpClient { BaseAddress = address };
        using var request = new HttpRequestMessage(HttpMethod.Get, CalendarFeeds.FeedUrl("/", created.Token).TrimStart('/'));
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "board.example");
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadAsStringAsync()).Replace("\r\n ", "", StringComparison.Ordinal); // unfold iCalendar's long lines
    }

    [Fact]
    public async Task Behind_a_configured_proxy_the_feed_links_use_the_callers_https_address()
    {
        await using var app = Behind("127.0.0.1");
        var address = app.StartOnLoopbackPort();

        var feed = await FeedAsync(app, address);

        Assert.Contains("https://board.example/reservations/mine", feed);
    }

    [Fact]
    public async Task Forwarded_headers_from_an_address_that_is_not_a_configured_proxy_are_ignored()
    {
        await using var app = Behind(null); // loopback is not trusted unless listed
        var address = app.StartOnLoopbackPort();

        var feed = await FeedAsync(app, address);

        Assert.DoesNotContain("board.example", feed);
        Assert.Contains($"http://{address.Authority}/reservations/mine", feed);
    }

    private static async Task<HttpStatusCode> FeedWithoutTokenAsync(HttpClient http, string forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "feeds/mine.ics");
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task The_feeds_have_a_rate_limit_per_caller_behind_the_proxy()
    {
        await using var app = Behind("127.0.0.1");
        using var http = new HttpClient { BaseAddress = app.StartOnLoopbackPort() };

        for (var i = 0; i < CalendarFeeds.RequestsPerMinute; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, await FeedWithoutTokenAsync(http, "203.0.113.1"));

        Assert.Equal(HttpStatusCode.TooManyRequests, await FeedWithoutTokenAsync(http, "203.0.113.1"));
        Assert.Equal(HttpStatusCode.Unauthorized, await FeedWithoutTokenAsync(http, "203.0.113.2")); // another caller, its own bucket
    }

    [Fact]
    public async Task A_proxy_setting_that_is_not_an_address_stops_the_start_with_its_message()
    {
        await using var app = Behind("proxy.example");

        var refused = Assert.ThrowsAny<Exception>(() => app.Server);

        Assert.Contains("LeaseBoard:ForwardedHeaders:KnownProxies has 'proxy.example'", refused.ToString());
    }

    [Fact]
    public void Entra_callers_behind_one_address_each_have_their_own_API_rate_limit()
    {
        var proxy = IPAddress.Parse("10.0.0.5");
        static ClaimsPrincipal Entra(string objectId) => new(new ClaimsIdentity(
            [new Claim("http://schemas.microsoft.com/identity/claims/objectidentifier", objectId), new Claim("scp", "LeaseBoard.Read")], "Bearer"));

        var first = ApiCallers.RateLimitKey(Entra("11111111-1111-1111-1111-111111111111"), proxy);
        var second = ApiCallers.RateLimitKey(Entra("22222222-2222-2222-2222-222222222222"), proxy);
        var token = ApiCallers.RateLimitKey(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ApiTokenAuthentication.TokenIdClaim, "42")], "ApiToken")), proxy);

        Assert.Equal("entra:11111111-1111-1111-1111-111111111111", first);
        Assert.NotEqual(first, second);
        Assert.Equal("token:42", token);
        Assert.Equal("entra:33", ApiCallers.RateLimitKey(new ClaimsPrincipal(new ClaimsIdentity([new Claim("oid", "33")], "Bearer")), proxy));
    }
}
