"""Reference GoogLeNet for MNIST, exactly as in the seed PyTorch program.

Quirks preserved on purpose (they are part of the benchmarked model):
  * no ReLU after conv1 / conv2 / conv3,
  * no ReLU after any Inception branch output,
  * ReLU only inside branch2 / branch3, between the 1x1 reduce conv and the
    3x3 / 5x5 conv,
  * no BatchNorm, no auxiliary classifiers.

state_dict names match the seed (conv1.weight, inception3a.branch2.0.weight,
inception3a.branch4.1.bias, fc.bias, ...). 5,977,530 parameters.

Run directly (`python3 baselines/googlenet.py`) to check the parameter
count and the output shape.
"""

import torch
import torch.nn as nn

EXPECTED_PARAMS = 5_977_530


class Inception(nn.Module):
    def __init__(self, in_channels, out1x1, reduce3x3, out3x3, reduce5x5, out5x5, out1x1pool):
        super(Inception, self).__init__()
        self.branch1 = nn.Conv2d(in_channels, out1x1, kernel_size=1)
        self.branch2 = nn.Sequential(
            nn.Conv2d(in_channels, reduce3x3, kernel_size=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(reduce3x3, out3x3, kernel_size=3, padding=1),
        )
        self.branch3 = nn.Sequential(
            nn.Conv2d(in_channels, reduce5x5, kernel_size=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(reduce5x5, out5x5, kernel_size=5, padding=2),
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1),
            nn.Conv2d(in_channels, out1x1pool, kernel_size=1),
        )

    def forward(self, x):
        branch1 = self.branch1(x)
        branch2 = self.branch2(x)
        branch3 = self.branch3(x)
        branch4 = self.branch4(x)
        outputs = [branch1, branch2, branch3, branch4]
        return torch.cat(outputs, 1)


class GoogLeNet(nn.Module):
    def __init__(self, num_classes=10):
        super(GoogLeNet, self).__init__()
        self.conv1 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(64, 64, kernel_size=1)
        self.conv3 = nn.Conv2d(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

        self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

        self.inception4a = Inception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = Inception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = Inception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = Inception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

        self.inception5a = Inception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = Inception(832, 384, 192, 384, 48, 128, 128)

        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(0.4)
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x):
        x = self.conv1(x)
        x = self.maxpool1(x)
        x = self.conv2(x)
        x = self.conv3(x)
        x = self.maxpool2(x)

        x = self.inception3a(x)
        x = self.inception3b(x)
        x = self.maxpool3(x)

        x = self.inception4a(x)
        x = self.inception4b(x)
        x = self.inception4c(x)
        x = self.inception4d(x)
        x = self.inception4e(x)
        x = self.maxpool4(x)

        x = self.inception5a(x)
        x = self.inception5b(x)

        x = self.avgpool(x)
        x = x.view(x.size(0), -1)
        x = self.dropout(x)
        x = self.fc(x)
        return x


def count_params(model=None):
    """Number of trainable parameters (5,977,530 for the seed model)."""
    if model is None:
        model = GoogLeNet()
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def check_param_count(model=None):
    n = count_params(model)
    if n != EXPECTED_PARAMS:
        raise AssertionError("GoogLeNet has %d parameters, expected %d" % (n, EXPECTED_PARAMS))
    return n


if __name__ == "__main__":
    m = GoogLeNet()
    n = check_param_count(m)
    names = list(m.state_dict().keys())
    with torch.no_grad():
        y = m.eval()(torch.zeros(2, 1, 28, 28))
    print("params: %d (ok)" % n)
    print("tensors in state_dict: %d (first %s, last %s)" % (len(names), names[0], names[-1]))
    print("output shape: %s" % (tuple(y.shape),))
