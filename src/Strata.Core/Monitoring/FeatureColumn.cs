using System.Globalization;

namespace Strata.Core.Monitoring;

/// <summary>
/// The values of one column as they are read (a training set, or a window of logged requests): numbers in a growable
/// array, categories counted, missing values counted. A column that mixes numbers and text is categorical.
/// </summary>
public sealed class FeatureColumn(string name)
{
    /// <summary>How many categories given as UTF-8 are matched by their bytes before falling back to the dictionary.</summary>
    private const int RecentCategories = 8;

    private double[] _numbers = new double[16];
    private Dictionary<string, long>? _categories;
    private bool _sorted;

    // The first few categories given as UTF-8, matched by their bytes, with counts not yet added to _categories: a
    // window of a million rows repeats a handful of categories millions of times, and this spares each of them a
    // transcoding to UTF-16, a hash and a dictionary lookup.
    private RecentCategory[]? _recent;
    private int _recentCount;

    public string Name { get; } = name;

    public int NumberCount { get; private set; }

    /// <summary>How many numbers the column holds room for (what it keeps in memory).</summary>
    public int Capacity => _numbers.Length;

    public long CategoryTotal { get; private set; }

    public long Missing { get; private set; }

    /// <summary>Every value seen, missing ones included.</summary>
    public long Total => NumberCount + CategoryTotal + Missing;

    public bool IsCategorical => CategoryTotal > 0;

    public IReadOnlyDictionary<string, long> Categories
    {
        get
        {
            FlushRecent();
            return (IReadOnlyDictionary<string, long>?)_categories ?? EmptyCategories;
        }
    }

    private static readonly Dictionary<string, long> EmptyCategories = new(StringComparer.Ordinal);

    public void AddNumber(double value)
    {
        if (double.IsNaN(value))
        {
            Missing++;
            return;
        }

        if (NumberCount == _numbers.Length)
        {
            Array.Resize(ref _numbers, _numbers.Length * 2);
        }

        _numbers[NumberCount++] = value;
        _sorted = false;
    }

    public void AddCategory(string value)
    {
        _categories ??= new Dictionary<string, long>(StringComparer.Ordinal);
        ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_categories, value, out _);
        count++;
        CategoryTotal++;
    }

    /// <summary>Counts a category given as UTF-8, without a string for a value already seen.</summary>
    public void AddCategory(ReadOnlySpan<byte> utf8)
    {
        for (var i = 0; i < _recentCount; i++)
        {
            var recent = _recent![i];
            if (utf8.SequenceEqual(recent.Utf8))
            {
                recent.Pending++;
                CategoryTotal++;
                return;
            }
        }

        if (_recentCount < RecentCategories && utf8.Length <= 64)
        {
            _recent ??= new RecentCategory[RecentCategories];
            _recent[_recentCount++] = new RecentCategory(utf8.ToArray(), System.Text.Encoding.UTF8.GetString(utf8)) { Pending = 1 };
            CategoryTotal++;
            return;
        }

        if (utf8.Length > 256)
        {
            AddCategory(System.Text.Encoding.UTF8.GetString(utf8));
            return;
        }

        Span<char> chars = stackalloc char[256];
        var length = System.Text.Encoding.UTF8.GetChars(utf8, chars);
        _categories ??= new Dictionary<string, long>(StringComparer.Ordinal);
        var lookup = _categories.GetAlternateLookup<ReadOnlySpan<char>>();
        ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(lookup, chars[..length], out _);
        count++;
        CategoryTotal++;
    }

    public void AddMissing(long count = 1) => Missing += count;

    /// <summary>Makes room for <paramref name="count"/> numbers in all, so that adding up to that many copies nothing.</summary>
    public void EnsureCapacity(int count)
    {
        if (count > _numbers.Length)
        {
            Array.Resize(ref _numbers, count);
        }
    }

    private void FlushRecent()
    {
        for (var i = 0; i < _recentCount; i++)
        {
            var recent = _recent![i];
            if (recent.Pending > 0)
            {
                _categories ??= new Dictionary<string, long>(StringComparer.Ordinal);
                ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_categories, recent.Value, out _);
                count += recent.Pending;
                recent.Pending = 0;
            }
        }
    }

    private sealed class RecentCategory(byte[] utf8, string value)
    {
        public byte[] Utf8 { get; } = utf8;

        public string Value { get; } = value;

        public long Pending { get; set; }
    }

    /// <summary>Adds every value of <paramref name="other"/> (numbers, categories, missing) to this column.</summary>
    public void AddAll(FeatureColumn other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (NumberCount + other.NumberCount > _numbers.Length)
        {
            Array.Resize(ref _numbers, Math.Max(_numbers.Length * 2, NumberCount + other.NumberCount));
        }

        other.Numbers.CopyTo(_numbers.AsSpan(NumberCount));
        NumberCount += other.NumberCount;
        _sorted = false;
        foreach (var (value, count) in other.Categories)
        {
            _categories ??= new Dictionary<string, long>(StringComparer.Ordinal);
            _categories[value] = _categories.GetValueOrDefault(value) + count;
            CategoryTotal += count;
        }

        Missing += other.Missing;
    }

    /// <summary>The numbers, sorted ascending (sorted once, in place).</summary>
    public ReadOnlySpan<double> SortedNumbers()
    {
        if (!_sorted)
        {
            NumberSort.Sort(_numbers.AsSpan(0, NumberCount));
            _sorted = true;
        }

        return _numbers.AsSpan(0, NumberCount);
    }

    /// <summary>The numbers, sorted ascending, as memory over the column's own array (no copy).</summary>
    public ReadOnlyMemory<double> SortedNumbersMemory()
    {
        SortedNumbers();
        return _numbers.AsMemory(0, NumberCount);
    }

    /// <summary>The numbers in the order they were added (until <see cref="SortedNumbers"/> sorts them).</summary>
    public ReadOnlySpan<double> Numbers => _numbers.AsSpan(0, NumberCount);

    /// <summary>Every non-missing value as a category: numbers in their shortest round-trip text.</summary>
    public Dictionary<string, long> AllAsCategories()
    {
        var all = new Dictionary<string, long>(Categories, StringComparer.Ordinal);
        foreach (var n in Numbers)
        {
            var key = FormatNumber(n);
            all[key] = all.GetValueOrDefault(key) + 1;
        }

        return all;
    }

    /// <summary>The numbers plus every category that reads as a number; the other categories count as missing.</summary>
    public (ReadOnlyMemory<double> Sorted, long Unreadable) AllAsNumbers()
    {
        var values = new List<double>(NumberCount + (int)Math.Min(CategoryTotal, int.MaxValue));
        values.AddRange(Numbers);
        long unreadable = 0;
        foreach (var (text, count) in Categories)
        {
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && !double.IsNaN(v))
            {
                for (var i = 0; i < count; i++)
                {
                    values.Add(v);
                }
            }
            else
            {
                unreadable += count;
            }
        }

        var sorted = values.ToArray();
        NumberSort.Sort(sorted);
        return (sorted, unreadable);
    }

    public static string FormatNumber(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>
/// Columns by name, kept aligned by row: after each batch of rows, <see cref="EndRows"/> counts a value a row did not
/// have as missing in that column (including columns first seen in later rows).
/// </summary>
public sealed class FeatureTable
{
    private readonly Dictionary<string, FeatureColumn> _byName = new(StringComparer.Ordinal);
    private readonly List<FeatureColumn> _columns = [];

    public long RowCount { get; private set; }

    public IReadOnlyList<FeatureColumn> Columns => _columns;

    public FeatureColumn Column(string name)
    {
        if (!_byName.TryGetValue(name, out var column))
        {
            column = new FeatureColumn(name);
            column.AddMissing(RowCount);
            _byName.Add(name, column);
            _columns.Add(column);
        }

        return column;
    }

    public FeatureColumn? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Appends the rows of <paramref name="other"/> (a part read separately) to this table.</summary>
    public void AddAll(FeatureTable other)
    {
        ArgumentNullException.ThrowIfNull(other);
        foreach (var column in other.Columns)
        {
            Column(column.Name).AddAll(column);
        }

        EndRows(other.RowCount);
    }

    /// <summary>Closes <paramref name="rows"/> rows: columns that got fewer values count the rest as missing.</summary>
    public void EndRows(long rows)
    {
        RowCount += rows;
        foreach (var c in _columns)
        {
            if (c.Total < RowCount)
            {
                c.AddMissing(RowCount - c.Total);
            }
        }
    }
}
