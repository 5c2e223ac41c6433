using LeaseBoard.Features.SignIn;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using LeaseBoard.Setup;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace LeaseBoard.Tests.Features.Api;

/// <summary>
/// The app with Entra ID configured. There is no network here, so the bearer scheme gets its signing key
/// and issuer as static metadata (as the tenant's would be); Microsoft.Identity.Web's own checks still run.
/// </summary>
public sealed class EntraApiHost() : ApiTestHost(new()
{
    ["AzureAd:Instance"] = "https://login.microsoftonline.com/",
    ["AzureAd:TenantId"] = TenantId,
    ["AzureAd:ClientId"] = ClientId,
}, services => services.PostConfigure<JwtBearerOptions>(Principals.EntraBearerScheme, o =>
{
    var metadata = new OpenIdConnectConfiguration { Issuer = Issuer };
    metadata.SigningKeys.Add(Key);
    o.Configuration = metadata;
    o.ConfigurationManager = new StaticConfigurationManager<OpenIdConnectConfiguration>(metadata);
    o.TokenValidationParameters.IssuerSigningKey = Key;
    o.TokenValidationParameters.IssuerValidator = null;
    o.TokenValidationParameters.ValidIssuer = Issuer;
    o.TokenValidationParameters.ValidAudiences = [ClientId, $"api://{ClientId}"];
}))
{
    public const string TenantId = "11111111-2222-3333-4444-555555555555";
    public const string ClientId = "66666666-7777-8888-9999-000000000000";
    public static readonly string Issuer = $"https://login.microsoftonline.com/{TenantId}/v2.0";
    public static readonly SymmetricSecurityKey Key = new(RandomNumberGenerator.GetBytes(32));

    public static string Token(SecurityKey key, string scope = EntraScopes.Book) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = Issuer,
        Audience = ClientId,
        Expires = DateTime.UtcNow.AddHours(1),
        Claims = new Dictionary<string, object> { ["oid"] = "entra-oid-42", ["name"] = "Pipeline Bot", ["tid"] = TenantId, ["scp"] = scope },
        SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
    });
}

public sealed class EntraApiTests(EntraApiHost host) : IClassFixture<EntraApiHost>
{
    [Fact]
    public async Task An_entra_id_access_token_books_through_the_api_as_its_user()
    {
        using var client = host.Client(null);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", EntraApiHost.Token(EntraApiHost.Key));

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/environments")).StatusCode);
        using var created = await client.PostAsJsonAsync("/api/v1/reservations",
            new { environment = "env-1", start = ApiTestHost.At(2, 9), durationMinutes = 60, title = "Pipeline run" });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("Pipeline Bot", (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("owner").GetString());
    }

    [Theory]
    [InlineData("access_as_user")]
    [InlineData("User.Read")]
    [InlineData("leaseboard.book")]
    [InlineData("LeaseBoard.Admin")]
    [InlineData("LeaseBoard.Booking")]
    public async Task An_entra_token_without_a_named_leaseboard_scope_is_refused_reading_and_booking(string scope)
    {
        using var client = host.Client(null);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", EntraApiHost.Token(EntraApiHost.Key, scope));

        using var read = await client.GetAsync("/api/v1/environments");
        using var book = await client.PostAsJsonAsync("/api/v1/reservations",
            new { environment = "env-2", start = ApiTestHost.At(3, 9), durationMinutes = 60, title = $"Refused {scope}" });

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden), (read.StatusCode, book.StatusCode));
        Assert.DoesNotContain($"Refused {scope}", await ReservationTitlesAsync());
    }

    [Fact]
    public async Task An_entra_token_with_the_read_scope_reads_but_may_not_book()
    {
        using var client = host.Client(null);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", EntraApiHost.Token(EntraApiHost.Key, $"User.Read {EntraScopes.Read}"));

        using var read = await client.GetAsync("/api/v1/environments");
        using var book = await client.PostAsJsonAsync("/api/v1/reservations",
            new { environment = "env-2", start = ApiTestHost.At(3, 11), durationMinutes = 60, title = "Read scope booking" });

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Forbidden), (read.StatusCode, book.StatusCode));
        Assert.DoesNotContain("Read scope booking", await ReservationTitlesAsync());
    }

    private async Task<List<string>> ReservationTitlesAsync()
    {
        await using var db = await host.Factory.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<LeaseBoard.Data.LeaseBoardDb>>().CreateDbContextAsync();
        return await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(db.Reservations.Select(r => r.Title));
    }

    [Fact]
    public async Task An_entra_token_signed_with_another_key_is_refused()
    {
        using var client = host.Client(null);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            EntraApiHost.Token(new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32))));

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/environments")).StatusCode);
    }
}
