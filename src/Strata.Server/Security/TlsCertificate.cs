using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Strata.Server.Hosting;

namespace Strata.Server.Security;

/// <summary>Loads the PEM certificate and key of <c>--tls-cert</c>/<c>--tls-key</c>.</summary>
public static class TlsCertificate
{
    /// <summary>The certificate, or null when TLS is off; a file that is not a PEM certificate or key is a configuration error.</summary>
    public static X509Certificate2? Load(SecurityOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.TlsCertPath is null || options.TlsKeyPath is null)
        {
            return null;
        }

        try
        {
            return X509Certificate2.CreateFromPemFile(options.TlsCertPath, options.TlsKeyPath);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new StrataConfigurationException(
                $"--tls-cert/--tls-key: cannot load a PEM certificate and private key from '{options.TlsCertPath}' and '{options.TlsKeyPath}': {e.Message}", e);
        }
    }
}
