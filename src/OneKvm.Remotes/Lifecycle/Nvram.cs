namespace OneKvm.Remotes.Lifecycle;

/// <summary>
/// A UEFI domain keeps its firmware variables in the file its &lt;os&gt;&lt;nvram&gt; names.
/// Before the first start it is made from OVMF_NVRAM (converted with qemu-img when
/// the domain wants another format). An existing file holds the guest's boot
/// entries and is never touched: upstream's conversion branch overwrote it.
/// </summary>
internal static class Nvram
{
    public const string DefaultFormat = "raw";

    public static (string Path, string Format)? Requested(XElement domain)
    {
        if (domain.Element("os")?.Element("nvram") is not { } nvram)
        {
            return null;
        }
        var path = nvram.Nodes().OfType<XText>().Select(t => t.Value).FirstOrDefault(v => v.Trim().Length > 0)?.Trim()
                   ?? nvram.Element("source")?.Attribute("file")?.Value.Trim();
        var format = nvram.Attribute("format")?.Value.Trim();
        return string.IsNullOrEmpty(path) ? null : (path, string.IsNullOrEmpty(format) ? DefaultFormat : format);
    }

    public static async Task PrepareAsync(KvmSettings settings, ILogger logger, ProgramRunner programs, XElement domain, CancellationToken cancellationToken)
    {
        if (Requested(domain) is not { } requested)
        {
            return;
        }
        var (path, format) = requested;
        if (File.Exists(path))
        {
            logger.NvramKept(path);
            return;
        }
        var template = settings.OvmfNvram;
        if (string.IsNullOrEmpty(template) || !File.Exists(template))
        {
            // libvirt can still make it from its firmware descriptors
            logger.NvramTemplateMissing(path, template ?? "");
            return;
        }
        var temporary = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.onekvm-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(temporary)!);
            var templateFormat = await QemuImg.FormatAsync(programs, template, cancellationToken).ConfigureAwait(false);
            if (templateFormat == format)
            {
                File.Copy(template, temporary);
            }
            else
            {
                await QemuImg.ConvertAsync(programs, template, format, temporary, cancellationToken).ConfigureAwait(false);
            }
            try
            {
                File.Move(temporary, path, overwrite: false);
                logger.NvramCreated(path, template, templateFormat, format);
            }
            catch (IOException) when (File.Exists(path))
            {
                logger.NvramKept(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OneKvmException)
        {
            throw new OneKvmException($"Could not create the NVRAM file {path} from OVMF_NVRAM {template}: {e.Message.TrimEnd('.')}.", e);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
