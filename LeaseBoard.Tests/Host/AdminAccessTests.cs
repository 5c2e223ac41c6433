using LeaseBoard.Features.SignIn;
using System.Net;
using AngleSharp.Html.Parser;
using LeaseBoard.Setup;
using LeaseBoard.Tests.TestSupport;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Tests.Host;

/// <summary>The admin surfaces are locked down from outside: anonymous visitors and signed-in non-admins get nothing.</summary>
[Collection(SharedAppCollection.Name)]
public sealed class AdminAccessTests(SharedAppFixture app)
{
    [Theory]
    [InlineData("/admin")]
    [InlineData("/hangfire")]
    [InlineData("/admin/audit.csv")]
    public async Task Admin_surfaces_send_an_anonymous_visitor_to_the_sign_in_page(string path)
    {
        using var client = app.CreateClient();

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/signin", Absolute(response.Headers.Location).AbsolutePath);
        Assert.DoesNotContain("id,at_utc", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/admin")]
    [InlineData("/hangfire")]
    [InlineData("/admin/audit.csv")]
    public async Task Admin_surfaces_send_a_signed_in_non_admin_to_the_admins_only_page_which_answers_403_with_a_way_back(string path)
    {
        using var client = app.CreateClient();
        (await client.SignInAsync("Nora Nonadmin")).Dispose();

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var denied = Absolute(response.Headers.Location);
        Assert.Equal(("/denied", "?ReturnUrl=" + Uri.EscapeDataString(path)), (denied.AbsolutePath, denied.Query));
        Assert.DoesNotContain("id,at_utc", await response.Content.ReadAsStringAsync());

        using var page = await client.GetAsync(denied);
        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var document = new HtmlParser().ParseDocument(await page.Content.ReadAsStringAsync());
        Assert.Equal("This page is for admins", document.QuerySelector("h1")?.TextContent.Trim());
        Assert.Equal($"The page {path} needs the admin role, and you are signed in as Nora Nonadmin, who is not an admin.",
            Squash(document.QuerySelector("[data-testid=admins-only-who]")?.TextContent));
        Assert.Equal("/", document.QuerySelector("a[data-testid=back-to-calendar]")?.GetAttribute("href"));
        Assert.Equal("For admins only · LeaseBoard", document.Title);
    }

    [Fact]
    public async Task The_admins_only_page_answers_403_when_requested_directly_and_shows_no_foreign_return_url()
    {
        using var client = app.CreateClient();
        (await client.SignInAsync("Nora Nonadmin")).Dispose();

        using var page = await client.GetAsync("/denied?ReturnUrl=" + Uri.EscapeDataString("//evil.example/admin"));

        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("This page is for admins", html);
        Assert.DoesNotContain("evil.example", html);
    }

    [Fact]
    public async Task The_admins_only_page_does_not_tell_an_admin_they_are_not_one()
    {
        using var client = app.CreateClient();
        (await client.SignInAsAdminAsync("Ada Admin")).Dispose();

        using var page = await client.GetAsync("/denied");

        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        var document = new HtmlParser().ParseDocument(await page.Content.ReadAsStringAsync());
        Assert.Equal("You are signed in as Ada Admin, an admin, so you may open admin pages.", Squash(document.QuerySelector("[data-testid=admins-only-who]")?.TextContent));
    }

    [Fact]
    public async Task Admin_audit_csv_export_answers_an_admin_with_escaped_csv()
    {
        using var client = app.CreateClient();
        (await client.SignInAsAdminAsync("Ada Admin")).Dispose();

        using var response = await client.GetAsync("/admin/audit.csv?action=" + Uri.EscapeDataString("no.such-action"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(AuditCsvHeader, (await response.Content.ReadAsStringAsync()).Trim());
    }

    [Fact]
    public async Task Admin_hangfire_dashboard_opens_for_an_admin()
    {
        using var client = app.CreateClient();
        (await client.SignInAsAdminAsync("Ada Admin")).Dispose();

        using var response = await client.GetAsync("/hangfire");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private const string AuditCsvHeader = LeaseBoard.Features.Admin.AuditCsv.Header;

    private Uri Absolute(Uri? location)
    {
        Assert.NotNull(location);
        return location.IsAbsoluteUri ? location : new Uri(app.BaseAddress, location);
    }

    private static string Squash(string? text) => string.Join(' ', (text ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}

/// <summary>The local sign-in's admin box works only in Development.</summary>
public sealed class AdminLocalSignInTests
{
    [Fact]
    public async Task Admin_cannot_be_made_by_the_local_sign_in_outside_Development()
    {
        await using var factory = new LeaseBoardAppFactory("Production", new Dictionary<string, string?>
        {
            [LocalSignInOptions.Section + ":AllowOutsideDevelopment"] = "true",
        });
        using var client = factory.CreateClient(new() { AllowAutoRedirect = false });

        var (_, fields) = await client.ReadFormAsync("/signin");
        Assert.DoesNotContain("Input.Admin", fields.Keys); // the box is not offered...
        using var signIn = await client.SignInAsAdminAsync("Mallory"); // ...and a forged one is ignored
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);

        using var csv = await client.GetAsync("/admin/audit.csv");
        Assert.NotEqual(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("/denied", csv.Headers.Location?.AbsolutePath ?? new Uri(factory.BaseAddress, csv.Headers.Location!).AbsolutePath);
    }
}

/// <summary>With Entra ID, a refused user lands on the same admins-only page (not the cookie handler's default /Account/AccessDenied, which the app lacks).</summary>
public sealed class EntraDeniedPathTests(LeaseBoard.Tests.Features.Api.EntraApiHost host) : IClassFixture<LeaseBoard.Tests.Features.Api.EntraApiHost>
{
    [Fact]
    public void With_entra_id_a_refused_user_is_sent_to_the_admins_only_page()
    {
        var cookies = host.Factory.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(CookieAuthenticationDefaults.AuthenticationScheme);

        Assert.Equal(SignInAddresses.DeniedPath, cookies.AccessDeniedPath.Value);
    }
}

public static class AdminSignIn
{
    /// <summary>The local sign-in form with its admin box ticked (posted even where the form does not offer it).</summary>
    public static async Task<HttpResponseMessage> SignInAsAdminAsync(this HttpClient client, string name)
    {
        var (action, fields) = await client.ReadFormAsync("/signin");
        fields["Input.Name"] = name;
        fields["Input.Admin"] = "true";
        return await client.PostAsync(action, new FormUrlEncodedContent(fields));
    }
}
