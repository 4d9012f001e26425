namespace Strata.Core.Monitoring;

/// <summary>
/// Parses the short decimals logged bodies are full of (<c>-12.3456</c>) without the general parser: when the digits,
/// without the point, fit in 15 (so the integer is exact in a double) and at most 22 of them are after the point (so
/// the power of ten is exact too), one IEEE division of two exact values gives the correctly rounded result, the same
/// double the general parser returns. Anything else (exponents, longer numbers) is left to it.
/// </summary>
public static class DecimalText
{
    private static readonly double[] PowersOfTen =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    public static bool TryParse(ReadOnlySpan<byte> text, out double value)
    {
        value = 0;
        var i = 0;
        var negative = false;
        if (text.Length > 0 && text[0] == (byte)'-')
        {
            negative = true;
            i = 1;
        }

        long mantissa = 0;
        var digits = 0;
        var fraction = -1;
        var sawDigit = false;
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (c == (byte)'.')
            {
                if (fraction >= 0)
                {
                    return false;
                }

                fraction = 0;
                continue;
            }

            var d = c - (byte)'0';
            if ((uint)d > 9)
            {
                return false; // an exponent or anything unexpected: the general parser decides
            }

            sawDigit = true;

            // Leading zeros do not count against the 15 digits.
            if (mantissa != 0 || d != 0)
            {
                if (++digits > 15)
                {
                    return false;
                }
            }

            mantissa = (mantissa * 10) + d;
            if (fraction >= 0)
            {
                fraction++;
            }
        }

        if (!sawDigit)
        {
            return false; // "", "-" or "." are not numbers
        }

        var scale = fraction < 0 ? 0 : fraction;
        if (scale > 22)
        {
            return false;
        }

        var result = mantissa / PowersOfTen[scale];
        value = negative ? -result : result;
        return true;
    }
}
