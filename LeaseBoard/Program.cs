using LeaseBoard.Features.Calendar;
using LeaseBoard.Setup;

var builder = WebApplication.CreateBuilder(args);
builder.UseRepositoryAppSettings();
builder.AddDatabase();
builder.AddSignIn();
builder.AddBooking();
builder.AddLeaseJobs();
builder.AddBoardUi();
builder.AddApi();
builder.AddAdmin();
builder.AddLiveUpdates();

var app = builder.Build();
await app.InitializeDatabaseAsync();
await app.SeedDemoDataAsync();
app.MapBoardUi();
app.MapSignIn();
app.MapLiveUpdates();
app.MapLeaseJobsDashboard();
app.MapApi();
app.MapAdmin();
app.Run();
