using System.Globalization;
using System.Text;

namespace Strata.Client.Http;

/// <summary>A query string for GET requests: repeated keys for repeated fields (spec §1), nulls skipped.</summary>
internal sealed class Query
{
    private readonly StringBuilder _sb = new();

    public Query Add(string name, string? value)
    {
        if (value is null)
        {
            return this;
        }
        _sb.Append(_sb.Length == 0 ? '?' : '&').Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
        return this;
    }

    public Query Add(string name, long? value) =>
        value is null ? this : Add(name, value.Value.ToString(CultureInfo.InvariantCulture));

    public Query AddMany(string name, IEnumerable<string>? values)
    {
        foreach (var v in values ?? [])
        {
            Add(name, v);
        }
        return this;
    }

    public override string ToString() => _sb.ToString();
}
