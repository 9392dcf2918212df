/* exo ext: extensions on the host (see ext_cmd.c). */
#ifndef HOST_EXT_CMD_H
#define HOST_EXT_CMD_H

int ext_cmd(int argc, char **argv);

#endif
