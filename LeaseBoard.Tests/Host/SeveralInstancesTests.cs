using System.Net;
using LeaseBoard.Data;
using LeaseBoard.Tests.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LeaseBoard.Tests.Host;

/// <summary>
/// Instances on one database share the data-protection key ring: a cookie one issued opens the pages on
/// another, and after a restart. Each instance here has a content root of its own, as separate machines or
/// containers do, so nothing but the database (no key folder in the user's profile) can carry the keys.
/// </summary>
public sealed class SeveralInstancesTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "leaseboard-tests", "instances-" + Guid.NewGuid().ToString("N"));

    private Dictionary<string, string?> Settings => new()
    {
        [$"ConnectionStrings:{DatabaseProviders.ConnectionStringName}"] = $"Data Source={Path.Combine(_folder, "shared.db")}",
    };

    private sealed class Instance(string contentRoot, IReadOnlyDictionary<string, string?> settings) : LeaseBoardAppFactory(settings: settings)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            Directory.CreateDirectory(contentRoot);
            builder.UseContentRoot(contentRoot);
        }
    }

    private Instance NewInstance(string name) => new(Path.Combine(_folder, name), Settings);

    private static async Task<string> SignInCookieAsync(LeaseBoardAppFactory instance, string name)
    {
        using var client = instance.CreateClient(new() { AllowAutoRedirect = false });
        using var signIn = await client.SignInAsync(name);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var cookie = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("LeaseBoard.Auth=", StringComparison.Ordinal));
        return cookie[..cookie.IndexOf(';')];
    }

    private static async Task<HttpStatusCode> MyReservationsWithAsync(LeaseBoardAppFactory instance, string cookie)
    {
        using var client = instance.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/reservations/mine");
        request.Headers.Add("Cookie", cookie);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task A_cookie_issued_by_instance_A_is_accepted_by_instance_B_and_after_a_restart()
    {
        string cookie;
        await using (var a = NewInstance("a"))
        {
            cookie = await SignInCookieAsync(a, "Dana Scale");
            Assert.Equal(HttpStatusCode.OK, await MyReservationsWithAsync(a, cookie));

            await using var b = NewInstance("b");
            Assert.Equal(HttpStatusCode.OK, await MyReservationsWithAsync(b, cookie));

            await using var db = await a.Services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>().CreateDbContextAsync();
            Assert.Equal(1, await db.DataProtectionKeys.CountAsync()); // one key ring, in the database
        }

        await using var restarted = NewInstance("a-after-restart");
        Assert.Equal(HttpStatusCode.OK, await MyReservationsWithAsync(restarted, cookie));
        // Without a cookie the page still asks for a sign-in: the check above is the cookie's doing.
        Assert.Equal(HttpStatusCode.Redirect, await MyReservationsWithAsync(restarted, "LeaseBoard.Auth=forged"));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
