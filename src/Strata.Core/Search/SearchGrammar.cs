namespace Strata.Core.Search;

/// <summary>How a key's value must be written and compared.</summary>
internal enum ValueKind
{
    /// <summary>A quoted string.</summary>
    String,
    /// <summary>An unquoted number compared as a double (metrics).</summary>
    Number,
    /// <summary>An unquoted integral number (timestamps, version numbers).</summary>
    Integer,
}

/// <summary>What a filter key resolves to: its canonical form, value kind and allowed comparators.</summary>
internal sealed record KeyRule(KeyKind Kind, string Canonical, ValueKind ValueKind, IReadOnlySet<Comparator> Comparators);

/// <summary>
/// The identifiers, aliases and comparators one search target accepts (spec §10.1-10.4 and §5.4).
/// Prefixes and keywords are case-insensitive; attribute names and their aliases are case-sensitive.
/// </summary>
internal sealed class SearchGrammar
{
    private static readonly IReadOnlySet<Comparator> Numeric = Set(
        Comparator.Equal, Comparator.NotEqual, Comparator.Greater, Comparator.GreaterOrEqual, Comparator.Less, Comparator.LessOrEqual);

    private static readonly IReadOnlySet<Comparator> Text = Set(Comparator.Equal, Comparator.NotEqual, Comparator.Like, Comparator.ILike);

    private static readonly IReadOnlySet<Comparator> TextOrList = Set(
        Comparator.Equal, Comparator.NotEqual, Comparator.Like, Comparator.ILike, Comparator.In, Comparator.NotIn);

    private static readonly IReadOnlySet<Comparator> TextOrIn = Set(
        Comparator.Equal, Comparator.NotEqual, Comparator.Like, Comparator.ILike, Comparator.In);

    private static readonly Dictionary<string, KeyKind> AttributePrefixes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["attribute"] = KeyKind.Attribute,
        ["attributes"] = KeyKind.Attribute,
        ["attr"] = KeyKind.Attribute,
    };

    private static readonly Dictionary<string, KeyKind> MetricPrefixes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["metric"] = KeyKind.Metric,
        ["metrics"] = KeyKind.Metric,
    };

    private static readonly Dictionary<string, KeyKind> ParamPrefixes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["param"] = KeyKind.Param,
        ["params"] = KeyKind.Param,
        ["parameter"] = KeyKind.Param,
        ["parameters"] = KeyKind.Param,
    };

    private static readonly Dictionary<string, KeyKind> TagPrefixes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["tag"] = KeyKind.Tag,
        ["tags"] = KeyKind.Tag,
    };

    private static readonly Dictionary<string, KeyKind> RunOnlyPrefixes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["run"] = KeyKind.Attribute,
        ["dataset"] = KeyKind.Dataset,
        ["datasets"] = KeyKind.Dataset,
    };

    public static readonly SearchGrammar Runs = new(
        SearchTarget.Runs,
        Merge(AttributePrefixes, MetricPrefixes, ParamPrefixes, TagPrefixes, RunOnlyPrefixes),
        new Dictionary<string, (string, ValueKind, IReadOnlySet<Comparator>)>
        {
            ["run_id"] = ("run_id", ValueKind.String, TextOrList),
            ["run_name"] = ("run_name", ValueKind.String, Text),
            ["run name"] = ("run_name", ValueKind.String, Text),
            ["Run name"] = ("run_name", ValueKind.String, Text),
            ["Run Name"] = ("run_name", ValueKind.String, Text),
            ["status"] = ("status", ValueKind.String, Text),
            ["user_id"] = ("user_id", ValueKind.String, Text),
            ["artifact_uri"] = ("artifact_uri", ValueKind.String, Text),
            ["start_time"] = ("start_time", ValueKind.Integer, Numeric),
            ["created"] = ("start_time", ValueKind.Integer, Numeric),
            ["Created"] = ("start_time", ValueKind.Integer, Numeric),
            ["end_time"] = ("end_time", ValueKind.Integer, Numeric),
        },
        orderAttributes: null,
        orderKinds: [KeyKind.Metric, KeyKind.Param, KeyKind.Tag],
        datasetKeys: ["name", "digest", "context"],
        lowercaseRunIdList: true);

    public static readonly SearchGrammar Experiments = new(
        SearchTarget.Experiments,
        Merge(AttributePrefixes, TagPrefixes),
        new Dictionary<string, (string, ValueKind, IReadOnlySet<Comparator>)>
        {
            ["name"] = ("name", ValueKind.String, Text),
            ["creation_time"] = ("creation_time", ValueKind.Integer, Numeric),
            ["last_update_time"] = ("last_update_time", ValueKind.Integer, Numeric),
        },
        orderAttributes: new Dictionary<string, string>
        {
            ["name"] = "name",
            ["experiment_id"] = "experiment_id",
            ["creation_time"] = "creation_time",
            ["last_update_time"] = "last_update_time",
        },
        orderKinds: []);

    public static readonly SearchGrammar RegisteredModels = new(
        SearchTarget.RegisteredModels,
        Merge(AttributePrefixes, TagPrefixes),
        new Dictionary<string, (string, ValueKind, IReadOnlySet<Comparator>)>
        {
            ["name"] = ("name", ValueKind.String, Text),
        },
        orderAttributes: new Dictionary<string, string>
        {
            ["name"] = "name",
            ["timestamp"] = "last_updated_timestamp",
            ["last_updated_timestamp"] = "last_updated_timestamp",
        },
        orderKinds: []);

    public static readonly SearchGrammar ModelVersions = new(
        SearchTarget.ModelVersions,
        Merge(AttributePrefixes, TagPrefixes),
        new Dictionary<string, (string, ValueKind, IReadOnlySet<Comparator>)>
        {
            ["name"] = ("name", ValueKind.String, Text),
            ["run_id"] = ("run_id", ValueKind.String, TextOrIn),
            ["source_path"] = ("source_path", ValueKind.String, Text),
            ["version_number"] = ("version_number", ValueKind.Integer, Numeric),
        },
        orderAttributes: new Dictionary<string, string>
        {
            ["name"] = "name",
            ["version_number"] = "version_number",
            ["creation_timestamp"] = "creation_timestamp",
            ["last_updated_timestamp"] = "last_updated_timestamp",
        },
        orderKinds: []);

    public static readonly SearchGrammar LoggedModels = new(
        SearchTarget.LoggedModels,
        Merge(AttributePrefixes, MetricPrefixes, ParamPrefixes, TagPrefixes),
        new Dictionary<string, (string, ValueKind, IReadOnlySet<Comparator>)>
        {
            ["name"] = ("name", ValueKind.String, TextOrList),
            ["model_id"] = ("model_id", ValueKind.String, TextOrList),
            ["model_type"] = ("model_type", ValueKind.String, TextOrList),
            ["status"] = ("status", ValueKind.String, TextOrList),
            ["source_run_id"] = ("source_run_id", ValueKind.String, TextOrList),
            ["creation_timestamp"] = ("creation_timestamp", ValueKind.Integer, Numeric),
            ["creation_time"] = ("creation_timestamp", ValueKind.Integer, Numeric),
            ["last_updated_timestamp"] = ("last_updated_timestamp", ValueKind.Integer, Numeric),
            ["last_updated_time"] = ("last_updated_timestamp", ValueKind.Integer, Numeric),
        },
        orderAttributes: null,
        orderKinds: [KeyKind.Metric]);

    private static readonly IReadOnlySet<Comparator> EqualityOrList = Set(Comparator.Equal, Comparator.NotEqual, Comparator.In, Comparator.NotIn);

    private static readonly IReadOnlySet<Comparator> Equality = Set(Comparator.Equal, Comparator.NotEqual);

    /// <summary>
    /// MLflow 3's trace search: <c>trace.</c>/<c>attribute(s).</c> attributes, <c>tag(s).</c> and
    /// <c>metadata.</c>/<c>request_metadata.</c> keys compared with = and != only, and <c>span.name</c>.
    /// <c>name</c> and <c>run_id</c> stand for the tag <c>mlflow.traceName</c> and the metadata
    /// <c>mlflow.sourceRun</c>; the trace service rewrites them (see <c>TraceSearch</c>).
    /// </summary>
    public static readonly SearchGrammar Traces = new(
        SearchTarget.Traces,
        new Dictionary<string, KeyKind>(StringComparer.OrdinalIgnoreCase)
        {
            ["attribute"] = KeyKind.Attribute,
            ["attributes"] = KeyKind.Attribute,
            ["trace"] = KeyKind.Attribute,
            ["tag"] = KeyKind.Tag,
            ["tags"] = KeyKind.Tag,
            ["metadata"] = KeyKind.Metadata,
            ["request_metadata"] = KeyKind.Metadata,
            ["span"] = KeyKind.Span,
        },
        new Dictionary<string, (string, ValueKind, IReadOnlySet<Comparator>)>
        {
            ["request_id"] = ("request_id", ValueKind.String, EqualityOrList),
            ["trace_id"] = ("request_id", ValueKind.String, EqualityOrList),
            ["status"] = ("status", ValueKind.String, EqualityOrList),
            ["state"] = ("status", ValueKind.String, EqualityOrList),
            ["timestamp"] = ("timestamp_ms", ValueKind.Integer, Numeric),
            ["timestamp_ms"] = ("timestamp_ms", ValueKind.Integer, Numeric),
            ["execution_time"] = ("execution_time_ms", ValueKind.Integer, Numeric),
            ["execution_time_ms"] = ("execution_time_ms", ValueKind.Integer, Numeric),
            ["name"] = ("name", ValueKind.String, EqualityOrList),
            ["run_id"] = ("run_id", ValueKind.String, EqualityOrList),
        },
        orderAttributes: new Dictionary<string, string>
        {
            ["experiment_id"] = "experiment_id",
            ["request_id"] = "request_id",
            ["trace_id"] = "request_id",
            ["status"] = "status",
            ["state"] = "status",
            ["timestamp"] = "timestamp_ms",
            ["timestamp_ms"] = "timestamp_ms",
            ["execution_time"] = "execution_time_ms",
            ["execution_time_ms"] = "execution_time_ms",
            ["name"] = "name",
            ["run_id"] = "run_id",
        },
        orderKinds: [KeyKind.Tag, KeyKind.Metadata],
        kindComparators: new Dictionary<KeyKind, IReadOnlySet<Comparator>>
        {
            [KeyKind.Tag] = Equality,
            [KeyKind.Metadata] = Equality,
            [KeyKind.Span] = TextOrList,
        },
        spanKeys: ["name"]);

    private readonly Dictionary<string, KeyKind> _prefixes;
    private readonly Dictionary<string, KeyRule> _attributes;
    private readonly Dictionary<string, string> _orderAttributes;
    private readonly HashSet<KeyKind> _orderKinds;
    private readonly HashSet<string> _datasetKeys;
    private readonly Dictionary<KeyKind, IReadOnlySet<Comparator>> _kindComparators;
    private readonly HashSet<string> _spanKeys;

    private SearchGrammar(
        SearchTarget target,
        Dictionary<string, KeyKind> prefixes,
        Dictionary<string, (string Canonical, ValueKind Kind, IReadOnlySet<Comparator> Comparators)> attributes,
        Dictionary<string, string>? orderAttributes,
        KeyKind[] orderKinds,
        string[]? datasetKeys = null,
        bool lowercaseRunIdList = false,
        Dictionary<KeyKind, IReadOnlySet<Comparator>>? kindComparators = null,
        string[]? spanKeys = null)
    {
        _kindComparators = kindComparators ?? [];
        _spanKeys = [.. spanKeys ?? []];
        Target = target;
        _prefixes = prefixes;
        _attributes = attributes.ToDictionary(
            a => a.Key, a => new KeyRule(KeyKind.Attribute, a.Value.Canonical, a.Value.Kind, a.Value.Comparators), StringComparer.Ordinal);
        // Where order_by is not listed separately it accepts every filterable attribute and alias.
        _orderAttributes = orderAttributes ?? attributes.ToDictionary(a => a.Key, a => a.Value.Canonical, StringComparer.Ordinal);
        _orderKinds = [.. orderKinds];
        _datasetKeys = [.. datasetKeys ?? []];
        LowercaseRunIdList = lowercaseRunIdList;
    }

    public SearchTarget Target { get; }

    /// <summary>Runs only: list entries of <c>run_id IN (...)</c> that are not all-lowercase are dropped, as MLflow does.</summary>
    public bool LowercaseRunIdList { get; }

    public static SearchGrammar For(SearchTarget target) => target switch
    {
        SearchTarget.Runs => Runs,
        SearchTarget.Experiments => Experiments,
        SearchTarget.RegisteredModels => RegisteredModels,
        SearchTarget.ModelVersions => ModelVersions,
        SearchTarget.LoggedModels => LoggedModels,
        SearchTarget.Traces => Traces,
        _ => throw new ArgumentOutOfRangeException(nameof(target), target, "Unknown search target"),
    };

    /// <summary>True when the two words joined by a space name an attribute (<c>Run name</c>) in a filter or order_by.</summary>
    public bool IsSpacedAttribute(string words) => words.Contains(' ', StringComparison.Ordinal)
        && (_attributes.ContainsKey(words) || _orderAttributes.ContainsKey(words));

    public bool TryPrefix(string prefix, out KeyKind kind) => _prefixes.TryGetValue(prefix, out kind);

    public string ValidPrefixes => string.Join(", ", _prefixes.Keys.Order(StringComparer.Ordinal));

    public string ValidFilterAttributes => string.Join(", ", _attributes.Keys.Order(StringComparer.Ordinal));

    public string ValidOrderAttributes => string.Join(", ", _orderAttributes.Keys.Order(StringComparer.Ordinal));

    public string ValidDatasetKeys => string.Join(", ", _datasetKeys.Order(StringComparer.Ordinal));

    public bool TryFilterAttribute(string key, out KeyRule rule) => _attributes.TryGetValue(key, out rule!);

    public bool TryOrderAttribute(string key, out string canonical) => _orderAttributes.TryGetValue(key, out canonical!);

    public bool IsDatasetKey(string key) => _datasetKeys.Contains(key);

    public bool IsSpanKey(string key) => _spanKeys.Contains(key);

    public string ValidSpanKeys => string.Join(", ", _spanKeys.Order(StringComparer.Ordinal));

    /// <summary>The rule for a non-attribute key: the kind's default, with this grammar's comparators where it narrows them.</summary>
    public KeyRule RuleForKey(KeyKind kind, string key)
    {
        if (kind is KeyKind.Metadata or KeyKind.Span)
        {
            return new KeyRule(kind, key, ValueKind.String, _kindComparators.GetValueOrDefault(kind, Text));
        }

        var rule = RuleFor(kind, key);
        return _kindComparators.TryGetValue(kind, out var comparators) ? rule with { Comparators = comparators } : rule;
    }

    public bool AllowsOrderBy(KeyKind kind) => _orderKinds.Contains(kind);

    public static KeyRule RuleFor(KeyKind kind, string key) => kind switch
    {
        KeyKind.Metric => new KeyRule(kind, key, ValueKind.Number, Numeric),
        KeyKind.Param or KeyKind.Tag => new KeyRule(kind, key, ValueKind.String, Text),
        KeyKind.Dataset => new KeyRule(kind, key, ValueKind.String, TextOrList),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Attributes have per-target rules"),
    };

    private static HashSet<Comparator> Set(params Comparator[] comparators) => [.. comparators];

    private static Dictionary<string, KeyKind> Merge(params Dictionary<string, KeyKind>[] parts)
    {
        var merged = new Dictionary<string, KeyKind>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in parts)
        {
            foreach (var (name, kind) in part)
            {
                merged[name] = kind;
            }
        }
        return merged;
    }
}
