using System.Net.Http.Headers;
using LeaseBoard.Domain;
using LeaseBoard.Features.Api;
using LeaseBoard.Features.Tokens;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace LeaseBoard.Tests.Features.Api;

/// <summary>One app host (in-memory server, no job server) for a test class of API tests, with helpers for tokens and times.</summary>
public class ApiTestHost : IAsyncLifetime
{
    public ApiTestHost() : this(new Dictionary<string, string?>()) { }

    protected ApiTestHost(Dictionary<string, string?> settings, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null) =>
        Factory = new LeaseBoardAppFactory(settings: settings) { ConfigureServices = services };

    public LeaseBoardAppFactory Factory { get; }

    public Task InitializeAsync()
    {
        _ = Factory.Server;
        return Task.CompletedTask;
    }

    public async Task<string> TokenAsync(Actor owner, ApiScope scope = ApiScope.Book)
    {
        var (created, error) = await Factory.Services.GetRequiredService<ApiTokenService>().CreateAsync(owner, "tests", scope, 30);
        Assert.True(created is not null, error);
        return created.Token;
    }

    /// <summary>An admin token of <paramref name="admin"/>, who has signed in as an admin (the People table says so, as a real sign-in records it).</summary>
    public async Task<string> AdminTokenAsync(Actor admin)
    {
        await Factory.Services.GetRequiredService<LeaseBoard.Features.SignIn.PeopleService>().RecordSignInAsync(admin);
        return await TokenAsync(admin, ApiScope.Admin);
    }

    public HttpClient Client(string? token)
    {
        var client = Factory.CreateClient(new() { AllowAutoRedirect = false });
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A slot start a few days ahead (each test its own day and hour, so tests on one host never collide).</summary>
    public static string At(int daysAhead, int hour, int minute = 0) =>
        DateTime.UtcNow.Date.AddDays(daysAhead).AddHours(hour).AddMinutes(minute).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}
