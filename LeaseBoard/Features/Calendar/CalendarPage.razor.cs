using System.Globalization;
using LeaseBoard.Components;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Wall;
using LeaseBoard.Features.SignIn;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;
using Microsoft.JSInterop;
using MudBlazor;

namespace LeaseBoard.Features.Calendar;

/// <summary>
/// The calendar at <c>/</c>: shows the visible period from the instance's <see cref="BoardSnapshot"/> (a query of its own
/// only for a period outside the snapshot's window), follows the snapshot's changes, hands the lanes'
/// blocks to the drag module after each render and answers its one call per drag.
/// </summary>
public sealed partial class CalendarPage : IAsyncDisposable
{
    [Inject] private ReservationQueries Queries { get; set; } = default!;
    [Inject] private BookingService Booking { get; set; } = default!;
    [Inject] private BoardSnapshot Board { get; set; } = default!;
    [Inject] private IOptionsMonitor<WallOptions> WallOptions { get; set; } = default!;
    [Inject] private ViewerTime ViewerTime { get; set; } = default!;
    [Inject] private TimeProvider Clock { get; set; } = default!;
    [Inject] private MaintenanceWindows Maintenance { get; set; } = default!;
    [Inject] private IOptionsMonitor<BookingOptions> Options { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private IJSRuntime JS { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;

    private const int VirtualizeFrom = 30;
    [SupplyParameterFromQuery(Name = "day")] private string? DayQuery { get; set; }
    [SupplyParameterFromQuery(Name = "view")] private string? ViewQuery { get; set; }
    [SupplyParameterFromQuery(Name = "mine")] private string? MineQuery { get; set; }
    [SupplyParameterFromQuery(Name = "q")] private string? SearchQuery { get; set; }
    [CascadingParameter] private Task<AuthenticationState>? AuthenticationState { get; set; }

    private List<EnvironmentRow>? _environments;
    private ILookup<int, ReservationRow> _byEnvironment = Array.Empty<ReservationRow>().ToLookup(r => r.EnvironmentId);
    private Dictionary<int, ReservationRow> _holders = [];
    private BoardView _board = BoardView.Empty;
    /// <summary>A period outside the snapshot's window, read by a query of its own: its bounds and what it holds.</summary>
    private (DateTime From, DateTime To, List<ReservationRow> Rows, List<(int EnvironmentId, MaintenanceRow Window)> Maintenance)? _outside;
    /// <summary>The viewer's live reservations beyond the window (only read when the window holds none of theirs).</summary>
    private List<ReservationRow>? _mineBeyond;
    private ILookup<int, MaintenanceRow> _maintenance = Array.Empty<MaintenanceRow>().ToLookup(_ => 0);
    private DateOnly _day;
    private CalendarView _view = CalendarView.Day;
    private DateTime _nowUtc;
    private Actor? _viewer;
    private string? _status;
    private bool _busy;
    private ElementReference _root;
    private IJSObjectReference? _module;
    private DotNetObjectReference<CalendarPage>? _self;
    private bool _attaching;
    private IDisposable? _subscription;
    private ITimer? _ticker;
    private bool _scriptStale = true;
    private bool _scrollPending = true;
    private bool _dayChosen;
    private bool _onlyMine;
    private string? _search;
    private ReservationRow? _myNext;
    /// <summary>The filters last written to the address and not yet confirmed by the browser.</summary>
    private (bool Mine, string? Search)? _written;

    public CalendarGeometry Geometry { get; private set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _nowUtc = NowToTheMinute();
        _view = Enum.TryParse<CalendarView>(ViewQuery, ignoreCase: true, out var v) && Enum.IsDefined(v) ? v : CalendarView.Day;
        _dayChosen = DateOnly.TryParse(DayQuery, System.Globalization.CultureInfo.InvariantCulture, out _day);
        _search = SearchQuery;
        if (AuthenticationState is not null && (await AuthenticationState).User is { Identity.IsAuthenticated: true } user)
            _viewer = user.ToActor();
        ViewerTime.Changed += OnZoneChanged;
        _subscription = Board.Subscribe(change => _ = InvokeAsync(() => BoardChangedAsync(change)));
        // The now line and the past shading move by themselves.
        _ticker = Clock.CreateTimer(_ => InvokeAsync(TickAsync), null, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));
        await ReloadAsync();
    }

    /// <summary>
    /// A link to <c>/</c> (the nav menu) or <c>/?mine=1</c> lands on this same instance: the filters follow the address.
    /// Our own address updates come back here too, equal once normalized, so the text being typed is left alone.
    /// </summary>
    protected override void OnParametersSet()
    {
        var address = (Mine: MineQuery is "1" or "true", Search: CalendarFilter.Normalize(SearchQuery));
        if (_written is { } written)
        {
            // The browser confirms our writes one by one: an older one arriving after a newer write must not undo it.
            if (address == written) _written = null;
            return;
        }
        _onlyMine = address.Mine;
        if (CalendarFilter.Normalize(_search) != address.Search) _search = SearchQuery;
    }

    /// <summary>Shows the latest snapshot, re-reading what lies outside its window (after the page's own actions and navigation).</summary>
    public async Task ReloadAsync() => await ShowAsync(await Board.CurrentAsync(), requeryOutside: true, requeryMine: true);

    /// <summary>
    /// A new snapshot. Progress re-renders only the lanes it shows on (the others' parameters are unchanged, so they skip
    /// their render) and sends the drag module nothing; a change elsewhere on the board reaches this page in memory.
    /// </summary>
    private async Task BoardChangedAsync(BoardChange change)
    {
        if (_environments is null) return;
        if (change.Kind == BoardChangeKind.Progress)
        {
            if (!change.EnvironmentIds.Any(id => _byEnvironment.Contains(id) || _holders.ContainsKey(id))) return;
            await ShowAsync(change.View, requeryOutside: false, requeryMine: false, forScript: false);
            return;
        }
        await ShowAsync(change.View, requeryOutside: true, requeryMine: change.Touches(_viewer?.Id));
    }

    private async Task ShowAsync(BoardView board, bool requeryOutside, bool requeryMine, bool forScript = true)
    {
        _nowUtc = NowToTheMinute();
        if (!_dayChosen) _day = CalendarGeometry.Today(_nowUtc, ViewerTime.Zone);
        Geometry = new CalendarGeometry(_day, _view, ViewerTime.Zone);
        // A block's buffer reaches into the next view: a little before the start too.
        var (from, to) = (Geometry.StartUtc - Options.CurrentValue.ChangeoverBuffer, Geometry.EndUtc);
        if (board.Covers(from, to)) _outside = null;
        else if (requeryOutside || _outside is not { } outside || outside.From != from || outside.To != to)
            _outside = (from, to, await Queries.BetweenAsync(from, to), await Maintenance.BetweenAsync(from, to));
        var rows = _outside?.Rows ?? board.Between(from, to);
        var maintenance = _outside?.Maintenance ?? board.MaintenanceBetween(from, to);
        // The strip's reservation comes from the same snapshot; only a viewer with nothing in the window is asked for further ahead.
        var mine = _viewer is null ? [] : board.Reservations.Where(r => r.OwnerId == _viewer.Id && r.State.IsLive()).ToList();
        if (_viewer is not null && mine.Count == 0 && (requeryMine || _mineBeyond is null))
            _mineBeyond = await Queries.MineAsync(_viewer.Id, recentFinished: 0);
        _myNext = MyNextStrip.Pick(mine.Count > 0 ? mine : _mineBeyond ?? [], Clock.GetUtcNow().UtcDateTime);
        _board = board;
        _environments = [.. board.Environments];
        _holders = board.Active.GroupBy(r => r.EnvironmentId).ToDictionary(g => g.Key, g => g.First());
        _byEnvironment = rows.ToLookup(r => r.EnvironmentId);
        _maintenance = maintenance.ToLookup(m => m.EnvironmentId, m => m.Window);
        if (forScript) _scriptStale = true;
        StateHasChanged();
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_environments is not { Count: > 0 } || !ViewerTime.IsKnown || !_scriptStale) return;
        _scriptStale = false;
        var data = CalendarScriptData.From(Geometry, _environments, _byEnvironment, _maintenance, _viewer?.Id, _viewer?.IsAdmin == true, Clock.GetUtcNow().UtcDateTime, Options.CurrentValue);
        try
        {
            if (_module is null)
            {
                // Two renders can both get here before the import returns (a live event right after the first render):
                // only the first attaches, so the lanes never get two drag controllers (two dialogs for one drag).
                if (_attaching) { _scriptStale = true; return; }
                _attaching = true;
                var module = await JS.InvokeAsync<IJSObjectReference>("import", "./Features/Calendar/CalendarPage.razor.js");
                if (module is null) return; // a test runtime without modules
                _self = DotNetObjectReference.Create(this);
                await module.InvokeVoidAsync("attach", _root, _self, data);
                _module = module;
                _attaching = false;
                if (_scriptStale) StateHasChanged(); // a render skipped meanwhile: send its data now
            }
            else
            {
                await _module.InvokeVoidAsync("update", _root, data);
            }
            if (_scrollPending)
            {
                _scrollPending = false;
                var today = CalendarGeometry.Today(_nowUtc, ViewerTime.Zone) == Geometry.FirstDay;
                var target = today ? _nowUtc : Geometry.StartUtc.AddHours(7);
                await _module.InvokeVoidAsync("scrollToTime", _root, CalendarScriptData.Ms(target));
            }
        }
        catch (JSDisconnectedException) { }
    }

    private async Task GoToAsync(DateOnly day)
    {
        _day = day;
        _dayChosen = true;
        _scrollPending = true;
        await ReloadAsync();
    }

    private async Task SwitchViewAsync(CalendarView view)
    {
        _view = view;
        _dayChosen = true;
        _scrollPending = true;
        await ReloadAsync();
    }

    private Task TickAsync()
    {
        _nowUtc = NowToTheMinute();
        _scriptStale = true;
        StateHasChanged();
        return Task.CompletedTask;
    }

    /// <summary>The now line moves by the minute, so a board event does not re-render every lane just for the clock.</summary>
    private DateTime NowToTheMinute()
    {
        var now = Clock.GetUtcNow().UtcDateTime;
        return new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
    }

    private void OnlyMineChanged(bool onlyMine)
    {
        _onlyMine = onlyMine;
        KeepFiltersInAddress();
    }

    private void SearchChanged(string? search)
    {
        _search = search; // as typed: trimming it here would eat the space between two words being typed
        KeepFiltersInAddress();
    }

    /// <summary>The filters live in the address (<c>?mine=1&amp;q=…</c>), so a reload or a shared link shows the same calendar; replaced, not pushed, so Back leaves the page.</summary>
    private void KeepFiltersInAddress()
    {
        var uri = Navigation.GetUriWithQueryParameters(new Dictionary<string, object?>
        {
            ["mine"] = _onlyMine ? "1" : null,
            ["q"] = CalendarFilter.Normalize(_search),
        });
        if (uri == Navigation.Uri) return;
        _written = (_onlyMine, CalendarFilter.Normalize(_search));
        Navigation.NavigateTo(uri, replace: true);
    }

    /// <summary>How many of the blocks in view match the search (those "Only mine" hides do not count); null without a search.</summary>
    private string? SearchCount()
    {
        if (CalendarFilter.Normalize(_search) is not { } search || _environments is null) return null;
        var matches = _environments.SelectMany(e => _byEnvironment[e.Id])
            .Count(r => Geometry.Shows(r.StartUtc, r.EndUtc) && CalendarFilter.Shown(r, _onlyMine, _viewer?.Id) && CalendarFilter.Matches(r, search));
        return CalendarFilter.CountText(matches, search);
    }

    private async Task MyNextChangedAsync(string message)
    {
        Announce(message, Severity.Success);
        await ReloadAsync();
    }

    private void Announce(string message, Severity severity)
    {
        _status = message;
        Snackbar.Add(message, severity);
        StateHasChanged();
    }

    private void OnZoneChanged() => InvokeAsync(ReloadAsync);

    public async ValueTask DisposeAsync()
    {
        ViewerTime.Changed -= OnZoneChanged;
        _subscription?.Dispose();
        _ticker?.Dispose();
        if (_module is not null)
        {
            try
            {
                await _module.InvokeVoidAsync("detach", _root);
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException) { }
        }
        _self?.Dispose();
    }
}
